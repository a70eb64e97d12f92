// Command xmodsumdb answers, for one JSON request on standard input, what
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog compute: keys, signed
// notes, opened notes, tree hashes, stored hashes, proofs, tiles and parses of tile
// paths, tree heads and records. modyard's tests compare src/sumdb with these answers.
//
// Built in GOPATH mode against the x/mod that Debian ships:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o xmodsumdb .
//
// Input: one JSON object whose "op" is keygen, keys, sign, open, tree, synthTree, tileRead or
// parse (see the request struct). Output: one JSON object. Byte strings travel as base64.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type sig struct {
	Name   string `json:"name"`
	Hash   uint32 `json:"hash"`
	Base64 string `json:"base64"`
}

type request struct {
	Op string `json:"op"`

	// keygen: a key pair for Name from the 32 bytes of Seed (the randomness GenerateKey reads).
	Name string `json:"name"`
	Seed []byte `json:"seed"`

	// sign: Text (with Sigs already on it) signed by SignerKeys, in order.
	// open: Msg opened with VerifierKeys.
	// keys: each of SignerKeys and VerifierKeys parsed.
	SignerKeys   []string `json:"signerKeys"`
	VerifierKeys []string `json:"verifierKeys"`
	Text         string   `json:"text"`
	Sigs         []sig    `json:"sigs"`
	Msg          []byte   `json:"msg"`
	Msgs         [][]byte `json:"msgs"` // open: more messages, each opened alike

	// tree: the log of Records, and what is asked of it.
	Records      [][]byte   `json:"records"`
	StoredHashes bool       `json:"storedHashes"`
	TreeSizes    []int64    `json:"treeSizes"`    // tree hashes, signed heads, tiles NewTiles(h, previous size, t)
	RecordProofs [][2]int64 `json:"recordProofs"` // [t, n]: ProveRecord(t, n)
	TreeProofs   [][2]int64 `json:"treeProofs"`   // [t, n]: ProveTree(t, n)
	TileHeight   int        `json:"tileHeight"`   // default 8
	Lookups      [][2]int64 `json:"lookups"`      // [t, id]: FormatRecord(id) + head of size t signed by SignerKeys

	// synthTree: "tree" over SynthCount generated records (synthRecord), tiles answered by
	// their SHA-256 instead of their data (trees too large to send).
	SynthCount int64 `json:"synthCount"`

	// tileRead: TileHashReader(Tree, tiles from TileData by path).ReadHashes(ReadIndexes).
	Tree        tlog.Tree         `json:"tree"`
	TileData    map[string][]byte `json:"tileData"`
	ReadIndexes []int64           `json:"readIndexes"`

	// parse: tile paths, tree heads and record messages parsed by tlog.
	TilePaths  []string `json:"tilePaths"`
	Trees      [][]byte `json:"trees"`
	RecordMsgs [][]byte `json:"recordMsgs"`
}

type opened struct {
	Text       string `json:"text"`
	Sigs       []sig  `json:"sigs"`
	Unverified []sig  `json:"unverified"`
	Err        string `json:"err"`
}

type tile struct {
	Path string `json:"path"`
	Data []byte `json:"data"`
}

type parsedTile struct {
	H   int    `json:"h"`
	L   int    `json:"l"`
	N   int64  `json:"n"`
	W   int    `json:"w"`
	Err string `json:"err"`
}

type parsedTree struct {
	N    int64     `json:"n"`
	Hash tlog.Hash `json:"hash"`
	Err  string    `json:"err"`
}

type parsedRecord struct {
	ID   int64  `json:"id"`
	Text []byte `json:"text"`
	Rest []byte `json:"rest"`
	Err  string `json:"err"`
}

type keyAnswer struct {
	Name string `json:"name"`
	Hash uint32 `json:"hash"`
	Err  string `json:"err"`
}

type answer struct {
	Err           string             `json:"err,omitempty"`
	SignerKey     string             `json:"signerKey,omitempty"`
	VerifierKey   string             `json:"verifierKey,omitempty"`
	Msg           []byte             `json:"msg,omitempty"`
	Opened        *opened            `json:"opened,omitempty"`
	OpenedMany    []*opened          `json:"openedMany,omitempty"`
	Signers       []keyAnswer        `json:"signers,omitempty"`
	Verifiers     []keyAnswer        `json:"verifiers,omitempty"`
	StoredHashes  []tlog.Hash        `json:"storedHashes,omitempty"`
	TreeHashes    []tlog.Hash        `json:"treeHashes,omitempty"`
	Tiles         [][]tile           `json:"tiles,omitempty"`
	Heads         [][]byte           `json:"heads,omitempty"`
	RecordProofs  []tlog.RecordProof `json:"recordProofs,omitempty"`
	TreeProofs    []tlog.TreeProof   `json:"treeProofs,omitempty"`
	Lookups       [][]byte           `json:"lookups,omitempty"`
	ReadHashes    []tlog.Hash        `json:"readHashes,omitempty"`
	TilesRead     []string           `json:"tilesRead,omitempty"`
	ParsedTiles   []parsedTile       `json:"parsedTiles,omitempty"`
	ParsedTrees   []parsedTree       `json:"parsedTrees,omitempty"`
	ParsedRecords []parsedRecord     `json:"parsedRecords,omitempty"`
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func signers(keys []string) ([]note.Signer, error) {
	var out []note.Signer
	for _, k := range keys {
		s, err := note.NewSigner(k)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func sigsOf(list []note.Signature) []sig {
	out := []sig{}
	for _, s := range list {
		out = append(out, sig{s.Name, s.Hash, s.Base64})
	}
	return out
}

func run(req request) (answer, error) {
	var a answer
	switch req.Op {
	case "keygen":
		skey, vkey, err := note.GenerateKey(bytes.NewReader(req.Seed), req.Name)
		if err != nil {
			return a, err
		}
		a.SignerKey, a.VerifierKey = skey, vkey
	case "keys":
		for _, k := range req.SignerKeys {
			s, err := note.NewSigner(k)
			if err != nil {
				a.Signers = append(a.Signers, keyAnswer{Err: err.Error()})
			} else {
				a.Signers = append(a.Signers, keyAnswer{Name: s.Name(), Hash: s.KeyHash()})
			}
		}
		for _, k := range req.VerifierKeys {
			v, err := note.NewVerifier(k)
			if err != nil {
				a.Verifiers = append(a.Verifiers, keyAnswer{Err: err.Error()})
			} else {
				a.Verifiers = append(a.Verifiers, keyAnswer{Name: v.Name(), Hash: v.KeyHash()})
			}
		}
	case "sign":
		ss, err := signers(req.SignerKeys)
		if err != nil {
			return a, err
		}
		n := &note.Note{Text: req.Text}
		for _, s := range req.Sigs {
			n.Sigs = append(n.Sigs, note.Signature{Name: s.Name, Hash: s.Hash, Base64: s.Base64})
		}
		msg, err := note.Sign(n, ss...)
		if err != nil {
			a.Err = err.Error()
		} else {
			a.Msg = msg
		}
	case "open":
		var vs []note.Verifier
		for _, k := range req.VerifierKeys {
			v, err := note.NewVerifier(k)
			if err != nil {
				return a, err
			}
			vs = append(vs, v)
		}
		open := func(msg []byte) *opened {
			n, err := note.Open(msg, note.VerifierList(vs...))
			o := &opened{Err: errString(err)}
			if e, ok := err.(*note.UnverifiedNoteError); ok {
				n = e.Note
			}
			if n != nil {
				o.Text, o.Sigs, o.Unverified = n.Text, sigsOf(n.Sigs), sigsOf(n.UnverifiedSigs)
			}
			return o
		}
		a.Opened = open(req.Msg)
		for _, m := range req.Msgs {
			a.OpenedMany = append(a.OpenedMany, open(m))
		}
	case "tree":
		return tree(req)
	case "synthTree":
		for i := int64(0); i < req.SynthCount; i++ {
			req.Records = append(req.Records, synthRecord(i))
		}
		a, err := tree(req)
		for _, ts := range a.Tiles {
			for j := range ts {
				sum := sha256.Sum256(ts[j].Data)
				ts[j].Data = sum[:]
			}
		}
		return a, err
	case "tileRead":
		tr := &tileMap{height: req.TileHeight, data: req.TileData}
		if tr.height == 0 {
			tr.height = 8
		}
		hs, err := tlog.TileHashReader(req.Tree, tr).ReadHashes(req.ReadIndexes)
		a.ReadHashes, a.Err, a.TilesRead = hs, errString(err), tr.read
	case "parse":
		for _, p := range req.TilePaths {
			t, err := tlog.ParseTilePath(p)
			a.ParsedTiles = append(a.ParsedTiles, parsedTile{t.H, t.L, t.N, t.W, errString(err)})
		}
		for _, text := range req.Trees {
			t, err := tlog.ParseTree(text)
			a.ParsedTrees = append(a.ParsedTrees, parsedTree{t.N, t.Hash, errString(err)})
		}
		for _, msg := range req.RecordMsgs {
			id, text, rest, err := tlog.ParseRecord(msg)
			a.ParsedRecords = append(a.ParsedRecords, parsedRecord{id, text, rest, errString(err)})
		}
	default:
		return a, fmt.Errorf("unknown op %q", req.Op)
	}
	return a, nil
}

// tileMap serves tiles by path, as a tile server would, and records what was asked.
type tileMap struct {
	height int
	data   map[string][]byte
	read   []string
}

func (m *tileMap) Height() int { return m.height }

func (m *tileMap) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		m.read = append(m.read, t.Path())
		d, ok := m.data[t.Path()]
		if !ok {
			return nil, fmt.Errorf("no tile %s", t.Path())
		}
		out[i] = d
	}
	return out, nil
}

func (m *tileMap) SaveTiles([]tlog.Tile, [][]byte) {}

type hashes []tlog.Hash

func (h hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("index %d not stored", x)
		}
		out[i] = h[x]
	}
	return out, nil
}

func tree(req request) (answer, error) {
	var a answer
	var stored hashes
	for i, r := range req.Records {
		h, err := tlog.StoredHashes(int64(i), r, stored)
		if err != nil {
			return a, err
		}
		stored = append(stored, h...)
	}
	if req.StoredHashes {
		a.StoredHashes = stored
	}
	height := req.TileHeight
	if height == 0 {
		height = 8
	}
	ss, err := signers(req.SignerKeys)
	if err != nil {
		return a, err
	}
	head := func(t int64) ([]byte, error) {
		th, err := tlog.TreeHash(t, stored)
		if err != nil {
			return nil, err
		}
		return note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: t, Hash: th}))}, ss...)
	}
	prev := int64(0)
	for _, t := range req.TreeSizes {
		th, err := tlog.TreeHash(t, stored)
		if err != nil {
			return a, err
		}
		a.TreeHashes = append(a.TreeHashes, th)
		var ts []tile
		for _, tl := range tlog.NewTiles(height, prev, t) {
			data, err := tlog.ReadTileData(tl, stored)
			if err != nil {
				return a, err
			}
			ts = append(ts, tile{tl.Path(), data})
		}
		a.Tiles = append(a.Tiles, ts)
		prev = t
		if len(ss) > 0 {
			msg, err := head(t)
			if err != nil {
				return a, err
			}
			a.Heads = append(a.Heads, msg)
		}
	}
	for _, q := range req.RecordProofs {
		p, err := tlog.ProveRecord(q[0], q[1], stored)
		if err != nil {
			return a, err
		}
		a.RecordProofs = append(a.RecordProofs, p)
	}
	for _, q := range req.TreeProofs {
		p, err := tlog.ProveTree(q[0], q[1], stored)
		if err != nil {
			return a, err
		}
		a.TreeProofs = append(a.TreeProofs, p)
	}
	for _, q := range req.Lookups {
		msg, err := tlog.FormatRecord(q[1], req.Records[q[1]])
		if err != nil {
			return a, err
		}
		signed, err := head(q[0])
		if err != nil {
			return a, err
		}
		a.Lookups = append(a.Lookups, append(msg, signed...))
	}
	return a, nil
}

// synthRecord is record i of a synthetic log: the go.sum lines of example.com/m<i> v1.0.0
// with the hashes SHA-256("zip <i>") and SHA-256("mod <i>").
func synthRecord(i int64) []byte {
	zip := sha256.Sum256([]byte(fmt.Sprintf("zip %d", i)))
	mod := sha256.Sum256([]byte(fmt.Sprintf("mod %d", i)))
	return []byte(fmt.Sprintf("example.com/m%d v1.0.0 h1:%s\nexample.com/m%d v1.0.0/go.mod h1:%s\n",
		i, base64.StdEncoding.EncodeToString(zip[:]), i, base64.StdEncoding.EncodeToString(mod[:])))
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "xmodsumdb: reading request:", err)
		os.Exit(2)
	}
	a, err := run(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "xmodsumdb:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(a); err != nil {
		fmt.Fprintln(os.Stderr, "xmodsumdb: writing answer:", err)
		os.Exit(1)
	}
}

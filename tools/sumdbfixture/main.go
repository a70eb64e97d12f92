// Command sumdbfixture is a checksum database for modyard's tests: x/mod's sumdb.Server
// over an in-memory log whose records the tests add through admin endpoints. It counts
// every request per path and can replace its whole history under the same key (a fork).
//
// Built in GOPATH mode against the x/mod that Debian ships:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o sumdbfixture .
//
// It listens on 127.0.0.1 (a free port) and prints one JSON line on standard output:
// {"url": "http://127.0.0.1:PORT", "vkey": "<name>+<hash>+<key>"}. Then it serves:
//
//	GET  /supported, /latest, /lookup/…, /tile/…   the database (counted)
//	POST /admin/add      [{"path","version","zip","mod"}, …] appended to the log
//	POST /admin/filler?n=N  N filler records appended (to grow full tiles)
//	POST /admin/replace  [{"path","version","zip","mod"}, …] replaces the whole log
//	GET  /admin/counts   {"<path>": n, …} requests seen per database path
//
// It exits when standard input closes.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type entry struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Zip     string `json:"zip"`
	Mod     string `json:"mod"`
}

type log struct {
	mu      sync.Mutex
	signer  note.Signer
	records [][]byte
	lookup  map[string]int64
	hashes  []tlog.Hash
	counts  map[string]int
}

func notExist(what string) error {
	// sumdb.Server answers 404 only when os.IsNotExist(err), which does not unwrap.
	return &fs.PathError{Op: "read", Path: what, Err: fs.ErrNotExist}
}

func (l *log) Signed(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := int64(len(l.records))
	h, err := tlog.TreeHash(size, tlog.HashReaderFunc(l.readHashes))
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: size, Hash: h}))}, l.signer)
}

func (l *log) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.hashes)) {
			return nil, notExist(fmt.Sprintf("hash %d", x))
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

func (l *log) ReadRecords(ctx context.Context, id, n int64) ([][]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id < 0 || n < 0 || id+n > int64(len(l.records)) {
		return nil, notExist(fmt.Sprintf("records %d+%d", id, n))
	}
	return append([][]byte(nil), l.records[id:id+n]...), nil
}

func (l *log) Lookup(ctx context.Context, m module.Version) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.lookup[m.String()]
	if !ok {
		return 0, notExist(m.String())
	}
	return id, nil
}

func (l *log) ReadTileData(ctx context.Context, t tlog.Tile) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// The tile must lie inside the tree (x/mod's readers panic past the end).
	size := int64(len(l.records))
	if t.H <= 0 || t.H > 30 || t.L < 0 || t.L*t.H >= 63 {
		return nil, notExist("tile")
	}
	end := (t.N<<uint(t.H) + int64(t.W)) << uint(t.L*t.H)
	if end > size || end <= 0 {
		return nil, notExist("tile past the tree")
	}
	return tlog.ReadTileData(t, tlog.HashReaderFunc(l.readHashes))
}

func (l *log) appendLocked(e entry) error {
	if e.Path == "" || e.Version == "" || e.Zip == "" || e.Mod == "" {
		return fmt.Errorf("path, version, zip and mod are required")
	}
	data := []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", e.Path, e.Version, e.Zip, e.Path, e.Version, e.Mod))
	id := int64(len(l.records))
	hashes, err := tlog.StoredHashesForRecordHash(id, tlog.RecordHash(data), tlog.HashReaderFunc(l.readHashes))
	if err != nil {
		return err
	}
	l.records = append(l.records, data)
	l.hashes = append(l.hashes, hashes...)
	l.lookup[module.Version{Path: e.Path, Version: e.Version}.String()] = id
	return nil
}

func (l *log) add(entries []entry, replace bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if replace {
		l.records, l.hashes, l.lookup = nil, nil, map[string]int64{}
	}
	for _, e := range entries {
		if err := l.appendLocked(e); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	name := flag.String("name", "sumdb.fixture.test", "database name")
	flag.Parse()
	skey, vkey, err := note.GenerateKey(rand.Reader, *name)
	if err != nil {
		fail(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail(err)
	}
	l := &log{signer: signer, lookup: map[string]int64{}, counts: map[string]int{}}
	srv := sumdb.NewServer(l)
	mux := http.NewServeMux()
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/admin/counts":
			l.mu.Lock()
			data, _ := json.Marshal(l.counts)
			l.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.Write(data)
		case "/admin/add", "/admin/replace":
			var entries []entry
			if err := json.NewDecoder(r.Body).Decode(&entries); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if err := l.add(entries, r.URL.Path == "/admin/replace"); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintln(w, "ok")
		case "/admin/filler":
			n, err := strconv.Atoi(r.URL.Query().Get("n"))
			if err != nil || n < 0 || n > 100000 {
				http.Error(w, "n must be 0..100000", http.StatusBadRequest)
				return
			}
			var entries []entry
			for i := 0; i < n; i++ {
				h := fmt.Sprintf("h1:%043d=", i)
				entries = append(entries, entry{fmt.Sprintf("filler.example/m%d", i), "v1.0.0", h, h})
			}
			if err := l.add(entries, false); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintln(w, "ok")
		default:
			http.NotFound(w, r)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.counts[strings.TrimPrefix(r.URL.Path, "/")]++
		l.mu.Unlock()
		if r.URL.Path == "/supported" {
			w.WriteHeader(http.StatusOK)
			return
		}
		srv.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	out, _ := json.Marshal(map[string]string{"url": "http://" + ln.Addr().String(), "vkey": vkey})
	fmt.Println(string(out))
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fail(http.Serve(ln, mux))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sumdbfixture:", err)
	os.Exit(1)
}

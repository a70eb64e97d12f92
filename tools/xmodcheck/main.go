// Command xmodcheck answers, for module zips named on standard input, what
// golang.org/x/mod says of them: zip.CheckZip's verdict and dirhash.HashZip's h1.
// modyard's differential tests compare their own verdicts with these answers.
//
// Built in GOPATH mode against the x/mod that Debian ships:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o xmodcheck .
//
// Input: one line per zip, "PATH VERSION FILE" separated by tabs.
// Output: one JSON object per line: {"ok":bool,"err":string,"h1":string}, and for a valid
// zip with a root go.mod what modfile.ParseLax (the go command's reading of a dependency's
// go.mod) says of it: "gomod":true, "gomod_err" (empty when it parses) and "gomod_module".
package main

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

type answer struct {
	OK          bool   `json:"ok"`
	Err         string `json:"err"`
	H1          string `json:"h1"`
	GoMod       bool   `json:"gomod,omitempty"`
	GoModErr    string `json:"gomod_err,omitempty"`
	GoModModule string `json:"gomod_module,omitempty"`
}

func check(path, version, file string) answer {
	cf, err := modzip.CheckZip(module.Version{Path: path, Version: version}, file)
	if err == nil {
		err = cf.Err()
	}
	if err != nil {
		return answer{Err: err.Error()}
	}
	// CheckZip reads only the directory; hashing reads every file, as the go command
	// does when it extracts and verifies a download (CRC and inflate errors surface here).
	h1, err := dirhash.HashZip(file, dirhash.Hash1)
	if err != nil {
		return answer{Err: err.Error()}
	}
	a := answer{OK: true, H1: h1}
	readGoMod(&a, path+"@"+version+"/go.mod", file)
	return a
}

// readGoMod fills in what ParseLax says of the zip's root go.mod, if it has one.
func readGoMod(a *answer, name, file string) {
	z, err := zip.OpenReader(file)
	if err != nil {
		return
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return
		}
		a.GoMod = true
		mf, err := modfile.ParseLax("go.mod", data, nil)
		if err != nil {
			a.GoModErr = err.Error()
		} else if mf.Module != nil {
			a.GoModModule = mf.Module.Mod.Path
		}
		return
	}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		parts := strings.SplitN(in.Text(), "\t", 3)
		if len(parts) != 3 {
			out.Encode(answer{Err: "bad input line"})
			continue
		}
		out.Encode(check(parts[0], parts[1], parts[2]))
	}
}

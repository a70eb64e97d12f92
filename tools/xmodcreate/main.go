// Command xmodcreate writes the module zip that golang.org/x/mod's zip.CreateFromDir makes
// of a directory and prints its h1 (dirhash.HashZip). modyard's publish tests compare their
// own zips with it.
//
// Built in GOPATH mode against the x/mod that Debian ships:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o xmodcreate .
//
// Usage: xmodcreate DIR MODULE VERSION OUT.zip
package main

import (
	"fmt"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: xmodcreate DIR MODULE VERSION OUT.zip")
		os.Exit(2)
	}
	dir, m, out := os.Args[1], module.Version{Path: os.Args[2], Version: os.Args[3]}, os.Args[4]
	f, err := os.Create(out)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if err := modzip.CreateFromDir(f, m, dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	h1, err := dirhash.HashZip(out, dirhash.Hash1)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(h1)
}

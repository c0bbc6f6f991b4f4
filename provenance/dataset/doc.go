// Package dataset computes the content version of a dataset or an
// output directory: a file's is the sha256 of its bytes, a directory's the
// sha256 of the listing GNU coreutils prints for it (find | sort |
// sha256sum), so that anyone can recompute it. A HashCache (the ledger's)
// spares reading files whose stat data has not changed since they were
// hashed.
//
// Start with HashPath or HashPathWith.
package dataset

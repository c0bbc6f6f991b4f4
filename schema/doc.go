// Package schema holds the ledger's numbered SQL migrations, embedded in
// the binary, and nothing else.
//
// Each file is named NNNN_name.sql and is applied once, in order, by
// package runlog. An applied migration is never edited: a change to the
// ledger's shape is a new file with the next number.
package schema

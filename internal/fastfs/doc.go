// Package fastfs is the file-system layer that dataset hashing and git
// status share: a parallel directory walk over open directory file
// descriptors (getdents on Linux, no stat for an entry's kind), fstatat
// relative to them, and file hashing that reads each file once with a
// pooled buffer. Nothing here knows about datasets or git.
package fastfs

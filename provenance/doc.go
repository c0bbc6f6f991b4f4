// Package provenance captures the facts a run depends on: the image (a
// reference resolved to immutable digests), the code (git commit and
// whether the tree was dirty), each dataset's content digest, the host and
// the environment with secrets redacted.
//
// Start with ParseRef and Resolve for images, CaptureCode for code,
// HashPath for data and outputs, CaptureHost and ParseEnv for the rest.
// Nothing here writes anywhere: callers decide what to record.
package provenance

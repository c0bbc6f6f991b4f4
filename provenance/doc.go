// Package provenance captures the facts about a run that are neither code
// nor data: the image (a reference resolved to immutable digests), the
// host and its GPUs, the environment with secrets redacted, and the
// metrics a run wrote. Its subpackages hold the other two: gitstate (the
// code's commit and whether its tree was dirty) and dataset (content
// digests of data and outputs).
//
// Start with ParseRef and Resolve for images, CaptureHost and ParseEnv for
// the rest. Nothing here writes anywhere: callers decide what to record.
package provenance

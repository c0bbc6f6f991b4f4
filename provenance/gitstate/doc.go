// Package gitstate reads the state of a run's code from its git work
// tree: the commit, whether the tree is dirty and which files changed
// (git status, computed from the index and a parallel stat walk without
// running git), the binary patch from HEAD to the tree, and a commit's
// files for re-runs and diffs.
//
// Start with CaptureCode; CapturePatch, Checkout and ApplyPatch serve
// dirty runs and their re-runs.
package gitstate

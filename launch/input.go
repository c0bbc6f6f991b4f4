package launch

import "fmt"

// Input is a value of a Spec that a person gives: a dataset, the
// outputs directory, the working directory, a resource request.
type Input string

// The inputs an InputError names.
const (
	InputData    Input = "data"
	InputOut     Input = "out"
	InputWorkdir Input = "workdir"
	InputMemory  Input = "memory"
	InputGPUs    Input = "gpus"
)

// InputError is a Spec value refused before anything ran. Its message
// names the value as the library knows it ("dataset train at ./d"); a
// command that took the value from a flag names the flag instead, from
// Input, Name and Value.
type InputError struct {
	Input Input
	Name  string // the dataset's name (InputData)
	Value string // the value as given
	Err   error  // what is wrong with it, and the fix
}

func (e *InputError) Error() string { return e.Subject() + ": " + e.Err.Error() }

func (e *InputError) Unwrap() error { return e.Err }

// Subject is how the library names the value.
func (e *InputError) Subject() string {
	switch e.Input {
	case InputData:
		return fmt.Sprintf("dataset %s at %s", e.Name, e.Value)
	case InputOut:
		return "outputs directory " + e.Value
	case InputWorkdir:
		return fmt.Sprintf("working directory %q", e.Value)
	case InputMemory:
		return fmt.Sprintf("memory limit %q", e.Value)
	case InputGPUs:
		return fmt.Sprintf("GPU request %q", e.Value)
	}
	return string(e.Input) + " " + e.Value
}

// A refusal whose fix is an option of the Spec: its message says the fix
// in words, and Describe takes the words a command uses (its flag).

// LatestError is an image named by the moving tag latest (written or
// implied): what it runs would change under the same name. The fix is
// a version tag or a digest, or Spec.AllowLatest.
type LatestError struct{ Image string }

func (e *LatestError) Error() string { return e.Describe("allow latest") }

// Describe says the fix that allows latest as allow.
func (e *LatestError) Describe(allow string) string {
	return fmt.Sprintf("image %q uses the moving tag latest; name a version tag or a digest, or %s", e.Image, allow)
}

// NoCodeError is a run outside any git repository: its code cannot be
// recorded. The fix is to run inside it, to name it (Spec.CodeDir), or
// to record no code (Spec.NoCode).
type NoCodeError struct{ Err error }

func (e *NoCodeError) Error() string {
	return e.Describe("name it", "record no code")
}

func (e *NoCodeError) Unwrap() error { return e.Err }

// Describe says the two fixes as name and none.
func (e *NoCodeError) Describe(name, none string) string {
	return fmt.Sprintf("%v; run inside your code's repository, %s, or %s", e.Err, name, none)
}

// DirtyTreeError is a work tree with uncommitted changes: the commit is
// not what would run. The fix is to commit, or Spec.AllowDirty.
type DirtyTreeError struct {
	Dir     string
	Changed []string
}

func (e *DirtyTreeError) Error() string { return e.Describe("allow a dirty run") }

// Describe says the fix that allows a dirty run as allow.
func (e *DirtyTreeError) Describe(allow string) string {
	return fmt.Sprintf("work tree %s has uncommitted changes:\n%s\ncommit them, or %s to record the run as dirty", e.Dir, listFiles(e.Changed, 20), allow)
}

// SecretFileError is a changed file of a dirty work tree that looks like
// it holds a credential: it would be stored in the ledger's patch. The
// fix, when it is no secret, is Spec.AllowSecretFiles.
type SecretFileError struct{ Path, Why string }

func (e *SecretFileError) Error() string { return e.Describe("allow " + e.Path) }

// Describe says the fix that allows the file as allow.
func (e *SecretFileError) Describe(allow string) string {
	return fmt.Sprintf("uncommitted file %s looks like it holds a secret (%s), and a dirty run stores its uncommitted changes in the ledger and in re-run scripts: commit it if it is not a secret, add it to .gitignore, or %s", e.Path, e.Why, allow)
}

// A Notice is something a run's user should know that is no error: a
// fact, worded plainly by String, that a caller may word in its own terms.
type Notice interface{ String() string }

// OutDirChosen: the run was given no output directory, and gets Dir.
type OutDirChosen struct{ Dir string }

func (n OutDirChosen) String() string { return "no output directory given: outputs go to " + n.Dir }

// ImageShadowed: the image keeps files at Dir, where the work tree is
// mounted, so the container sees the work tree there and not them.
type ImageShadowed struct{ Image, Dir string }

func (n ImageShadowed) String() string {
	return fmt.Sprintf("warning: image %s keeps files at %s, where the work tree is mounted: the container sees your work tree there, not the image's files", n.Image, n.Dir)
}

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

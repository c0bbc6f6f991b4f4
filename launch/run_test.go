package launch_test

import (
	"strings"
	"testing"

	"github.com/reprohq/repro/launch"
)

func TestParseDataArg(t *testing.T) {
	tests := []struct {
		in      string
		want    launch.DataArg
		wantErr string
	}{
		{"train=./data", launch.DataArg{Name: "train", Path: "./data"}, ""},
		{"v2.labels=/a=b", launch.DataArg{Name: "v2.labels", Path: "/a=b"}, ""},
		{"train", launch.DataArg{}, "write NAME=PATH"},
		{"train=", launch.DataArg{}, "write NAME=PATH"},
		{"=x", launch.DataArg{}, "may have letters"},
		{"../x=y", launch.DataArg{}, "may have letters"},
		{".hidden=y", launch.DataArg{}, "may have letters"},
		{"a/b=y", launch.DataArg{}, "may have letters"},
	}
	for _, tt := range tests {
		got, err := launch.ParseDataArg(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDataArg(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDataArg(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

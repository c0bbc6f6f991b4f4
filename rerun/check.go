package rerun

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/provenance/gitstate"
	"github.com/reprohq/repro/runlog"
)

// Readiness is whether one run can be re-run now, input by input.
type Readiness struct {
	Run   string  `json:"run"`
	Image Verdict `json:"image"`
	Code  Verdict `json:"code"`
	Data  Verdict `json:"data"`
	Patch Verdict `json:"patch"`
}

// Verdict is one input's state: ok, a failure with its reason, or not
// applicable ("-").
type Verdict struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Ready says whether every input of the run is there.
func (r Readiness) Ready() bool { return r.Image.OK && r.Code.OK && r.Data.OK && r.Patch.OK }

// CheckOptions shape Check.
type CheckOptions struct {
	Registry provenance.RegistryOptions
	Workers  int // concurrent checks (default 8)
}

// Check finds out, for each run, whether it can be re-run: its image (or a
// kept copy) still pullable by digest (HEAD requests, no pull), its commit
// in the recorded remote or local repository, each dataset at its recorded
// path with its recorded digest (through the ledger's hash cache), its
// stored patch intact. Each distinct image, commit and dataset is checked
// once, concurrently.
func Check(ctx context.Context, l *runlog.Ledger, runs []*runlog.Run, o CheckOptions) ([]Readiness, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = 8
	}
	type job struct {
		key string
		f   func() Verdict
	}
	var (
		mu      sync.Mutex
		results = map[string]Verdict{}
		jobs    []job
	)
	once := func(key string, f func() Verdict) string {
		if _, ok := results[key]; !ok {
			results[key] = Verdict{}
			jobs = append(jobs, job{key, f})
		}
		return key
	}
	type plan struct {
		image, code, patch string
		data               []string
	}
	plans := make([]plan, len(runs))
	for i, r := range runs {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		kept, err := l.KeptCopies(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		images := []string{provenance.Pinned(r.ImageRepo, r.ImageDigest)}
		for _, k := range kept {
			images = append(images, provenance.Pinned(k.Repository, r.ImageDigest))
		}
		plans[i].image = once("image "+fmt.Sprint(images), func() Verdict { return checkImage(ctx, images, o.Registry) })
		if r.Commit != "" && r.CodeMount {
			dir, remote, commit := r.CodeDir, r.Remote, r.Commit
			plans[i].code = once("code "+dir+"\x00"+remote+"\x00"+commit, func() Verdict {
				where, err := gitstate.CommitSource(ctx, dir, remote, commit)
				if err != nil {
					return Verdict{Detail: err.Error()}
				}
				return Verdict{OK: true, Detail: "in the " + where + " repository"}
			})
		}
		for _, d := range r.Data {
			path, want, name := d.Path, d.Digest, d.Name
			plans[i].data = append(plans[i].data, once("data "+path+"\x00"+want, func() Verdict {
				v, err := dataset.HashPathWith(ctx, path, dataset.HashOptions{Cache: launch.LedgerCache{L: l}})
				switch {
				case err != nil:
					return Verdict{Detail: fmt.Sprintf("dataset %s: %v", name, dataset.PathCause(path, err))}
				case v.Digest != want:
					return Verdict{Detail: fmt.Sprintf("dataset %s at %s changed: %s, recorded %s", name, path, v.Digest, want)}
				}
				return Verdict{OK: true}
			}))
		}
		if r.PatchDigest != "" {
			digest := r.PatchDigest
			plans[i].patch = once("patch "+digest, func() Verdict {
				b, err := l.Blob(ctx, digest)
				if err != nil {
					return Verdict{Detail: "uncommitted changes: " + err.Error()}
				}
				if runlog.BlobDigest(b) != digest {
					return Verdict{Detail: "uncommitted changes do not match their digest " + digest}
				}
				return Verdict{OK: true}
			})
		}
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			v := j.f()
			mu.Lock()
			results[j.key] = v
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]Readiness, len(runs))
	na := Verdict{OK: true, Detail: "-"}
	for i, r := range runs {
		p := plans[i]
		out[i] = Readiness{Run: r.ID, Image: results[p.image], Code: na, Data: na, Patch: na}
		if p.code != "" {
			out[i].Code = results[p.code]
		}
		if len(p.data) > 0 {
			out[i].Data = Verdict{OK: true, Detail: fmt.Sprintf("%d datasets", len(p.data))}
			for _, k := range p.data {
				if v := results[k]; !v.OK {
					out[i].Data = v
					break
				}
			}
		}
		if p.patch != "" {
			out[i].Patch = results[p.patch]
		}
	}
	return out, nil
}

// checkImage finds the first of images (the recorded one, then kept
// copies) that its registry still has.
func checkImage(ctx context.Context, images []string, o provenance.RegistryOptions) Verdict {
	var reasons []string
	for i, img := range images {
		ok, err := provenance.ImageExists(ctx, img, o)
		switch {
		case ok && i == 0:
			return Verdict{OK: true, Detail: "in its registry"}
		case ok:
			return Verdict{OK: true, Detail: "kept copy " + img}
		case err != nil:
			reasons = append(reasons, err.Error())
		default:
			reasons = append(reasons, "image "+img+" is gone")
		}
	}
	return Verdict{Detail: strings.Join(reasons, "; ")}
}

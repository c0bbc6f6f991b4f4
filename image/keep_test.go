package image_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/provenance"
)

// Keep copies registry to registry: within one registry the layers are
// mounted, so no blob's bytes are sent again; the copy is tagged, holds
// the same digest, and an attestation tag travels with it.
func TestKeep(t *testing.T) {
	var sent atomic.Int64 // requests that carry blob bytes
	h := registry.New(registry.Logger(nilLogger()))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "/blobs/uploads") && (req.Method == http.MethodPatch || req.Method == http.MethodPut && req.ContentLength > 0) {
			sent.Add(1)
		}
		h.ServeHTTP(w, req)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"train": "#!/bin/sh\n", "weights.bin": strings.Repeat("w", 1<<16)})
	o := buildOpts(&countingRegistry{Server: srv}, dir)
	o.Repository = host + "/ml/trainer"
	res, err := image.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	// An attestation-shaped tag for the digest, to travel with the copy.
	att := strings.Replace(res.Digest, ":", "-", 1) + ".att"
	src, _ := name.ParseReference(res.Pinned())
	img, err := remote.Image(src)
	if err != nil {
		t.Fatal(err)
	}
	attRef, err := name.ParseReference(host + "/ml/trainer:" + att)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(attRef, img); err != nil {
		t.Fatal(err)
	}
	before := sent.Load()
	if before == 0 {
		t.Fatal("the build sent no blob: the counter counts nothing")
	}
	tag := image.KeepTag("4e1d2a9c0b7f00000000000000000000")
	if err := image.Keep(ctx, res.Pinned(), host+"/ml/archive", tag, []string{res.Digest}, provenance.RegistryOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := sent.Load() - before; n != 0 {
		t.Errorf("keeping within one registry sent %d blob uploads, want 0 (mounted)", n)
	}
	for _, tg := range []string{tag, att} {
		ref, err := name.ParseReference(host + "/ml/archive:" + tg)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(ref)
		if err != nil || desc.Digest.String() != res.Digest {
			t.Errorf("archive:%s -> %v, %v; want %s", tg, desc, err, res.Digest)
		}
	}
	if err := image.Keep(ctx, host+"/ml/trainer:1.4.2", host+"/ml/archive", tag, nil, provenance.RegistryOptions{}); err == nil {
		t.Error("kept an image named by tag")
	}
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/reprohq/repro/attest"
	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

// The commands that talk to a registry, against go-containerregistry's
// in-process one: build, images, tags history, promote, keep, check,
// attest, attestations and import, each through its runX.
func TestRegistryCommands(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	repo := host + "/ml/trainer"
	l := testLedger(t)
	ctx := context.Background()

	// build: pushed, its digest on stdout, the image and its tags recorded.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	var b testStreams
	bo := &buildOptions{build: image.BuildOptions{Context: dir, Repository: repo, Version: "1.4.2",
		SHA: "0123456789abcdef0123456789abcdef01234567", Entrypoint: []string{"/app/train"}}}
	if err := runBuild(ctx, l, bo, b.streams()); err != nil {
		t.Fatalf("build: %v\n%s", err, b.err.String())
	}
	pinned := strings.TrimSpace(b.out.String())
	ref, digest, ok := strings.Cut(pinned, "@")
	if !ok || ref != repo || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("build printed %q", pinned)
	}
	if !strings.Contains(b.err.String(), "as 1.4.2, 1.4, 1, git-0123456") {
		t.Errorf("build said %q", b.err.String())
	}

	// promote: the digest gets prod; the move is recorded.
	b = testStreams{}
	if err := runPromote(ctx, l, &promoteOptions{image: repo + ":1.4.2", to: []string{"prod"}}, b.streams()); err != nil {
		t.Fatalf("promote: %v", err)
	}
	if strings.TrimSpace(b.out.String()) != pinned || !strings.Contains(b.err.String(), "resolved "+repo+":1.4.2 -> "+pinned) {
		t.Errorf("promote printed %q, said %q", b.out.String(), b.err.String())
	}
	if err := runPromote(ctx, l, &promoteOptions{image: repo + "@" + digest, to: []string{"latest"}}, b.streams()); err == nil {
		t.Error("promote --to latest was accepted")
	}

	// images and tags history read what build and promote recorded.
	b = testStreams{}
	if err := runImages(ctx, l, &imagesOptions{repo: repo, json: true}, b.streams()); err != nil {
		t.Fatal(err)
	}
	var imgs []runlog.ImageSummary
	if err := json.Unmarshal(b.out.Bytes(), &imgs); err != nil || len(imgs) != 1 || imgs[0].Digest != digest || !strings.Contains(strings.Join(imgs[0].Tags, ","), "prod") {
		t.Errorf("images --json = %+v (%v)", imgs, err)
	}
	b = testStreams{}
	if err := runTagsHistory(ctx, l, &tagsHistoryOptions{ref: mustRef(t, repo+":prod")}, b.streams()); err != nil {
		t.Fatal(err)
	}
	if fields := strings.Split(strings.TrimSpace(b.out.String()), "\t"); len(fields) < 3 || fields[0] != "prod" || fields[1] != digest || fields[2] != "promote" {
		t.Errorf("tags history = %q", b.out.String())
	}

	// A run of that image: keep copies it, check finds it, attest signs
	// it and attestations lists it, import brings it into another ledger.
	r := recordRun(t, l, func(r *runlog.Run, _ *runlog.Result) {
		r.Image, r.ImageRepo, r.ImageTag, r.ImageDigest = repo+":1.4.2", repo, "1.4.2", digest
		r.Engine.Command[len(r.Engine.Command)-len(r.Argv)-1] = pinned
	})
	b = testStreams{}
	if err := runKeep(ctx, l, &keepOptions{runs: []string{r.ID}, to: host + "/archive"}, b.streams()); err != nil {
		t.Fatalf("keep: %v", err)
	}
	if kept, _ := l.KeptCopies(ctx, r.ID); len(kept) != 1 || kept[0].Repository != host+"/archive" {
		t.Errorf("kept copies = %+v", kept)
	}
	b = testStreams{}
	if err := runCheck(ctx, l, &checkOptions{runs: []string{r.ID}}, b.streams()); err != nil {
		t.Errorf("check: %v\n%s%s", err, b.out.String(), b.err.String())
	}
	if !strings.HasPrefix(b.out.String(), r.ID+"\tok\t") {
		t.Errorf("check = %q", b.out.String())
	}
	gone := recordRun(t, l, func(r *runlog.Run, _ *runlog.Result) {
		r.ImageRepo, r.ImageDigest = host+"/gone", "sha256:"+strings.Repeat("0", 64)
	})
	b = testStreams{}
	if err := runCheck(ctx, l, &checkOptions{runs: []string{gone.ID}}, b.streams()); exitStatus(err) != exitDiffers || !strings.Contains(b.out.String(), "FAIL") {
		t.Errorf("check of a run whose image is gone: %v, %q", err, b.out.String())
	}

	k := testKey(t)
	b = testStreams{}
	if err := runAttest(ctx, l, k, &attestOptions{ref: r.ID}, b.streams()); err != nil {
		t.Fatalf("attest: %v", err)
	}
	payload, signer, err := attest.Open(b.out.Bytes(), nil)
	if err == nil || signer != nil || len(payload) == 0 {
		t.Errorf("an attestation opened with no trusted key: signer %v, err %v", signer, err)
	}
	if err := runAttest(ctx, l, k, &attestOptions{ref: r.ID, push: true}, b.streams()); err != nil {
		t.Fatalf("attest --push: %v", err)
	}
	b = testStreams{}
	if err := runAttestations(ctx, &attestationsOptions{image: pinned, json: true}, b.streams()); err != nil {
		t.Fatal(err)
	}
	var list []attested
	if err := json.Unmarshal(b.out.Bytes(), &list); err != nil || len(list) != 1 || list[0].Run != r.ID || !list[0].Verified || list[0].Status != "succeeded" {
		t.Errorf("attestations = %+v (%v)", list, err)
	}

	envs, err := attest.Fetch(ctx, pinned, (&registryFlags{}).options())
	if err != nil {
		t.Fatal(err)
	}
	other, err := runlog.Open(ctx, filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i, want := range []string{"imported run " + r.ShortID(), "is already in the ledger"} {
		b = testStreams{}
		if err := runImport(ctx, other, &importOptions{image: pinned, envelopes: envs}, b.streams()); err != nil || !strings.Contains(b.err.String(), want) {
			t.Errorf("import %d: %v, %q", i+1, err, b.err.String())
		}
	}
	if got, err := other.Get(ctx, r.ID); err != nil || got.ImageDigest != digest {
		t.Errorf("imported run: %+v, %v", got, err)
	}
}

// An attestation no trusted key signed is refused unless --allow-unsigned.
func TestRunImport_Unsigned(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	r := recordRun(t, l, nil)
	var b testStreams
	if err := runAttest(ctx, l, testKey(t), &attestOptions{ref: r.ID}, b.streams()); err != nil {
		t.Fatal(err)
	}
	env := append([]byte(nil), b.out.Bytes()...)
	testEnv(t) // another user: the signer's key is not theirs
	other, err := runlog.Open(ctx, filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	b = testStreams{}
	err = runImport(ctx, other, &importOptions{image: "x", envelopes: [][]byte{env}}, b.streams())
	if exitStatus(err) != exitError || !strings.Contains(b.err.String(), "not signed by a trusted key") {
		t.Errorf("import of an unverified attestation: %v, %q", err, b.err.String())
	}
	b = testStreams{}
	if err := runImport(ctx, other, &importOptions{image: "x", envelopes: [][]byte{env}, allowUnsigned: true}, b.streams()); err != nil || !strings.Contains(b.err.String(), "(signed by unsigned)") {
		t.Errorf("import --allow-unsigned: %v, %q", err, b.err.String())
	}
}

func mustRef(t *testing.T, s string) provenance.Ref {
	t.Helper()
	r, err := provenance.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

package attest_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/reprohq/repro/attest"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

type key struct{ priv ed25519.PrivateKey }

func (k key) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k key) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }

func newKey(t testing.TB) key {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key{priv}
}

// The DSSE specification's test vector.
func TestPAE(t *testing.T) {
	got := string(attest.PAE("http://example.com/HelloWorld", []byte("hello world")))
	if want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"; got != want {
		t.Fatalf("PAE = %q, want %q", got, want)
	}
}

func TestSealOpen(t *testing.T) {
	k, other := newKey(t), newKey(t)
	env, err := json.Marshal(attest.Seal([]byte(`{"a":1}`), k, "ed25519:x"))
	if err != nil {
		t.Fatal(err)
	}
	payload, signer, err := attest.Open(env, []ed25519.PublicKey{other.PublicKey(), k.PublicKey()})
	if err != nil || string(payload) != `{"a":1}` || !signer.Equal(k.PublicKey()) {
		t.Fatalf("Open: %q, %v, %v", payload, signer, err)
	}
	if _, _, err := attest.Open(env, []ed25519.PublicKey{other.PublicKey()}); !errors.Is(err, attest.ErrUnverified) {
		t.Fatalf("Open with another key: %v, want ErrUnverified", err)
	}
	// A tampered payload fails verification.
	var e attest.Envelope
	_ = json.Unmarshal(env, &e)
	e.Payload = base64.StdEncoding.EncodeToString([]byte(`{"a":2}`))
	tampered, _ := json.Marshal(e)
	if _, _, err := attest.Open(tampered, []ed25519.PublicKey{k.PublicKey()}); !errors.Is(err, attest.ErrUnverified) {
		t.Fatalf("a tampered payload: %v, want ErrUnverified", err)
	}
	e.PayloadType = "text/plain"
	other2, _ := json.Marshal(e)
	if _, _, err := attest.Open(other2, []ed25519.PublicKey{k.PublicKey()}); err == nil || errors.Is(err, attest.ErrUnverified) {
		t.Fatalf("another payload type: %v", err)
	}
}

// FuzzOpen: whatever bytes come from a registry, Open never panics and
// never calls them verified unless the signature is the key's.
func FuzzOpen(f *testing.F) {
	k := newKey(f)
	good, _ := json.Marshal(attest.Seal([]byte(`{}`), k, ""))
	f.Add(good)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AAAA"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		payload, signer, err := attest.Open(b, []ed25519.PublicKey{k.PublicKey()})
		if err == nil && (signer == nil || !ed25519.Verify(k.PublicKey(), attest.PAE(attest.PayloadType, payload), mustSig(t, b))) {
			t.Fatalf("verified without a valid signature")
		}
	})
}

func mustSig(t *testing.T, b []byte) []byte {
	var e attest.Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.Signatures {
		if sig, err := base64.StdEncoding.DecodeString(s.Sig); err == nil && len(sig) == ed25519.SignatureSize {
			return sig
		}
	}
	return nil
}

const (
	imgDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	dataDig   = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	outDig    = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
)

func finished() *runlog.Run {
	code := 0
	start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	end := start.Add(time.Minute)
	return &runlog.Run{
		ID: "4e1d2a9c0b7f00000000000000000000", Status: runlog.StatusSucceeded, ExitCode: &code,
		Image: "127.0.0.1:5000/t:1", ImageRepo: "127.0.0.1:5000/t", ImageDigest: imgDigest,
		Commit: strings.Repeat("c", 40), Remote: "https://git.example.invalid/ml/t.git", CodeMount: true,
		Argv: []string{"--seed", "7"}, Env: []runlog.EnvVar{{Name: "LR", Value: "0.1"}, {Name: "HF_TOKEN", Secret: true}},
		Data:   []runlog.Dataset{{Name: "train", Path: "/data/train", Kind: "dir", Digest: dataDig, Files: 3, Bytes: 10}},
		OutDir: "/tmp/out", Outputs: []runlog.Output{{Path: "model.bin", Digest: outDig, Bytes: 4}},
		StartedAt: start, FinishedAt: &end, ReproVersion: "v1.2.3", Engine: runlog.Engine{Name: "docker"},
	}
}

func TestStatementFor(t *testing.T) {
	st, err := attest.StatementFor(finished(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := st.Marshal()
	for _, want := range []string{
		`"_type":"https://in-toto.io/Statement/v1"`,
		`"subject":[{"digest":{"sha256":"1111111111111111111111111111111111111111111111111111111111111111"},"name":"127.0.0.1:5000/t"},{"digest":{"sha256":"3333`,
		`"name":"model.bin"}]`,
		`"predicateType":"https://slsa.dev/provenance/v1"`,
		`{"digest":{"sha256":"1111111111111111111111111111111111111111111111111111111111111111"},"uri":"127.0.0.1:5000/t@sha256:1111`,
		`{"digest":{"gitCommit":"cccc`,
		`{"annotations":{"bytes":10,"files":3,"kind":"dir"},"digest":{"sha256":"2222`,
		`"env":{"HF_TOKEN":null,"LR":"0.1"}`,
		`"invocationId":"4e1d2a9c0b7f00000000000000000000"`,
		`"builder":{"id":"https://github.com/reprohq/repro","version":{"repro":"v1.2.3"}}`,
		`{"annotations":{"exit_code":0,"status":"succeeded"},"name":"exit"}`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("statement lacks %s:\n%s", want, b)
		}
	}
	if again, _ := st.Marshal(); string(again) != string(b) {
		t.Error("the statement's JSON is not the same twice")
	}
	// Canonical: keys sorted at every level.
	if !strings.HasPrefix(string(b), `{"_type":"https://in-toto.io/Statement/v1","predicate":{"buildDefinition":{"buildType":`) ||
		!strings.Contains(string(b), `"predicateType":"https://slsa.dev/provenance/v1","subject":[`) {
		t.Errorf("keys not sorted:\n%s", b)
	}
	back, err := attest.ParseStatement(b)
	if err != nil || back.Predicate.RunDetails.Metadata.InvocationID != finished().ID {
		t.Fatalf("ParseStatement: %v", err)
	}
	r := finished()
	r.Outputs = nil
	if _, err := attest.StatementFor(r, nil); err == nil {
		t.Error("a run without outputs was attested")
	}
	r = finished()
	r.Status, r.FinishedAt = runlog.StatusRunning, nil
	if _, err := attest.StatementFor(r, nil); err == nil {
		t.Error("a running run was attested")
	}
}

// Push attaches in cosign's layout and keeps other runs' attestations.
func TestPushFetch(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	image := host + "/ml/t@" + imgDigest
	ctx := context.Background()
	o := provenance.RegistryOptions{}
	if envs, err := attest.Fetch(ctx, image, o); err != nil || len(envs) != 0 {
		t.Fatalf("nothing attached: %d, %v", len(envs), err)
	}
	k := newKey(t)
	one, _ := json.Marshal(attest.Seal([]byte(`{"run":1}`), k, ""))
	two, _ := json.Marshal(attest.Seal([]byte(`{"run":2}`), k, ""))
	tag, err := attest.Push(ctx, image, one, o)
	if err != nil || !strings.HasSuffix(tag, "/ml/t:sha256-1111111111111111111111111111111111111111111111111111111111111111.att") {
		t.Fatalf("Push: %s, %v", tag, err)
	}
	for _, env := range [][]byte{two, one} { // one again: not added twice
		if _, err := attest.Push(ctx, image, env, o); err != nil {
			t.Fatal(err)
		}
	}
	envs, err := attest.Fetch(ctx, image, o)
	if err != nil || len(envs) != 2 || string(envs[0]) != string(one) || string(envs[1]) != string(two) {
		t.Fatalf("Fetch: %d envelopes, %v", len(envs), err)
	}
	if _, err := attest.Push(ctx, host+"/ml/t:1.0", one, o); err == nil {
		t.Error("attached to a tag, not a digest")
	}
}

// Where the registry answers the OCI 1.1 referrers API, each attestation
// is also a referrer of the image (subject = the image), and Fetch lists
// each envelope once.
func TestPushFetch_Referrers(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	o := provenance.RegistryOptions{}
	// A real image to be the subject.
	repo, err := name.NewRepository(host + "/ml/t")
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("1"), img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	image := repo.Digest(d.String()).String()
	k := newKey(t)
	one, _ := json.Marshal(attest.Seal([]byte(`{"run":1}`), k, ""))
	two, _ := json.Marshal(attest.Seal([]byte(`{"run":2}`), k, ""))
	for _, env := range [][]byte{one, two} {
		where, err := attest.Push(ctx, image, env, o)
		if err != nil || !strings.Contains(where, "as a referrer of") {
			t.Fatalf("Push: %q, %v", where, err)
		}
	}
	idx, err := remote.Referrers(repo.Digest(d.String()))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 2 {
		t.Fatalf("%d referrers of the image, want 2: %+v", len(im.Manifests), im.Manifests)
	}
	for _, m := range im.Manifests {
		ref, err := remote.Image(repo.Digest(m.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		mf, _ := ref.Manifest()
		if mf.ArtifactType != attest.EnvelopeMediaType || mf.Subject == nil || mf.Subject.Digest != d || len(mf.Layers) != 1 || mf.Layers[0].MediaType != attest.EnvelopeMediaType {
			t.Errorf("referrer manifest: %+v", mf)
		}
	}
	envs, err := attest.Fetch(ctx, image, o)
	if err != nil || len(envs) != 2 {
		t.Fatalf("Fetch: %d envelopes, %v; want 2 (each once)", len(envs), err)
	}
}

// RunFrom gives back the run a statement was made from, and refuses a
// record that disagrees with the statement around it.
func TestRunFrom(t *testing.T) {
	r := finished()
	r.Commit, r.Dirty, r.CodeTree = strings.Repeat("c", 40), true, strings.Repeat("d", 40)
	patch := []byte("diff --git a/x b/x\n")
	r.PatchDigest = runlog.BlobDigest(patch)
	st, err := attest.StatementFor(r, patch)
	if err != nil {
		t.Fatal(err)
	}
	back, p, err := attest.RunFrom(st)
	if err != nil || back.ID != r.ID || string(p) != string(patch) || back.Argv[1] != "7" || !back.StartedAt.Equal(r.StartedAt) {
		t.Fatalf("RunFrom: %+v, %q, %v", back, p, err)
	}
	st.Subject[1].Digest["sha256"] = strings.Repeat("9", 64)
	if _, _, err := attest.RunFrom(st); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("an output the record does not have: %v", err)
	}
	st, _ = attest.StatementFor(r, patch)
	st.Predicate.RunDetails.Metadata.InvocationID = strings.Repeat("a", 32)
	if _, _, err := attest.RunFrom(st); err == nil {
		t.Fatal("a record of another run was accepted")
	}
	st, _ = attest.StatementFor(r, []byte("another patch"))
	if _, _, err := attest.RunFrom(st); err == nil || !strings.Contains(err.Error(), "does not match its digest") {
		t.Fatalf("a patch that is not the run's: %v", err)
	}
}

package rerun_test

import (
	"errors"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

const gitImage = "127.0.0.1:5000/tools/git@sha256:3333333333333333333333333333333333333333333333333333333333333333"

func k8sRun() *runlog.Run {
	r := finishedRun([]string{"--seed", "7", "it's $(x)"}, []runlog.EnvVar{{Name: "LR", Value: "0.1"}, {Name: "HF_TOKEN", Secret: true}})
	r.Commit, r.Remote, r.CodeDir, r.CodeMount, r.Workdir = strings.Repeat("c", 40), "https://example.invalid/ml.git", "/src", true, "/workspace"
	r.OutDir, r.Memory = "/out", "16g"
	r.Data = []runlog.Dataset{
		{Name: "train", Path: "/data/train", Kind: "dir", Digest: digest},
		{Name: "labels.v2", Path: "/data/labels.csv", Kind: "file", Digest: config},
	}
	return r
}

// TestK8sJob_DecodesStrictly: the manifest is a batch/v1 Job by the
// Kubernetes API's own types, with no unknown field, pinned by digest, and
// carries secrets only as references.
func TestK8sJob_DecodesStrictly(t *testing.T) {
	r := k8sRun()
	manifest, err := rerun.K8sJob(r, rerun.K8sOptions{GitImage: gitImage, SecretName: "ml-secrets", Namespace: "ml"})
	if err != nil {
		t.Fatal(err)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict(manifest, &job); err != nil {
		t.Fatalf("strict decode into batch/v1 Job: %v\n%s", err, manifest)
	}
	if job.Kind != "Job" || job.APIVersion != "batch/v1" || job.Namespace != "ml" {
		t.Errorf("kind %s apiVersion %s namespace %s", job.Kind, job.APIVersion, job.Namespace)
	}
	spec := job.Spec.Template.Spec
	if len(spec.Containers) != 1 || len(spec.InitContainers) != 1 {
		t.Fatalf("%d containers, %d init containers", len(spec.Containers), len(spec.InitContainers))
	}
	c := spec.Containers[0]
	if c.Image != r.ImageRepo+"@"+r.ImageDigest || strings.Join(c.Args, "|") != "--seed|7|it's $(x)" || c.WorkingDir != "/workspace" {
		t.Errorf("container image %s args %q workdir %s", c.Image, c.Args, c.WorkingDir)
	}
	if spec.InitContainers[0].Image != gitImage {
		t.Errorf("init container image %s", spec.InitContainers[0].Image)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		default:
			env[e.Name] = e.Value
		}
	}
	if env["LR"] != "0.1" || env["HF_TOKEN"] != "secret:ml-secrets/HF_TOKEN" {
		t.Errorf("env %v", env)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	if mounts["/data/train"] != "data-train" || mounts["/data/labels.v2"] != "data-labels-v2" || mounts["/out"] != "out" || mounts["/workspace"] != "code" {
		t.Errorf("mounts %v", mounts)
	}
	if got := c.Resources.Limits.Memory().String(); got != "16Gi" {
		t.Errorf("memory limit %s", got)
	}
	ann := job.Annotations
	if ann["repro.dev/rerun-of"] != r.ID || ann["repro.dev/data.train"] != digest || ann["repro.dev/commit"] != r.Commit {
		t.Errorf("annotations %v", ann)
	}
	if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit != 0 || spec.RestartPolicy != "Never" {
		t.Errorf("backoffLimit %v restartPolicy %s", job.Spec.BackoffLimit, spec.RestartPolicy)
	}
}

func TestK8sJob_Refusals(t *testing.T) {
	r := k8sRun()
	var gi *rerun.GitImageError
	if _, err := rerun.K8sJob(r, rerun.K8sOptions{}); !errors.As(err, &gi) || gi.Commit != r.Commit {
		t.Errorf("no git image: %v", err)
	}
	if _, err := rerun.K8sJob(r, rerun.K8sOptions{GitImage: "alpine/git:2.45"}); err == nil || !strings.Contains(err.Error(), "pinned by digest") {
		t.Errorf("git image by tag: %v", err)
	}
	r.Remote = ""
	if _, err := rerun.K8sJob(r, rerun.K8sOptions{GitImage: gitImage}); err == nil || !strings.Contains(err.Error(), "no remote URL") {
		t.Errorf("no remote: %v", err)
	}
	// Without code mounted, no git image is needed.
	r.CodeMount = false
	if _, err := rerun.K8sJob(r, rerun.K8sOptions{}); err != nil {
		t.Errorf("image carrying its code: %v", err)
	}
}

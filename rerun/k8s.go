package rerun

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

// K8sOptions shape a Kubernetes Job re-run.
type K8sOptions struct {
	Options
	Namespace string // "" : none written (kubectl's current namespace)
	// SecretName is the Secret whose keys, named like the variables,
	// hold the secrets the run used.
	SecretName string
	// GitImage is an image with git, pinned by digest, for the init
	// container that checks out the commit (needed when the run mounted
	// its code).
	GitImage string
}

// The subset of the Kubernetes API a Job re-run needs, with the API's own
// field names. Tests decode the output strictly into k8s.io/api's
// batch/v1 Job, so a misspelt field fails there.
type (
	k8sJob struct {
		APIVersion string     `json:"apiVersion"`
		Kind       string     `json:"kind"`
		Metadata   k8sMeta    `json:"metadata"`
		Spec       k8sJobSpec `json:"spec"`
	}
	k8sMeta struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace,omitempty"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	k8sJobSpec struct {
		BackoffLimit int32       `json:"backoffLimit"`
		Template     k8sTemplate `json:"template"`
	}
	k8sTemplate struct {
		Metadata k8sMeta `json:"metadata"`
		Spec     k8sPod  `json:"spec"`
	}
	k8sPod struct {
		RestartPolicy  string         `json:"restartPolicy"`
		InitContainers []k8sContainer `json:"initContainers,omitempty"`
		Containers     []k8sContainer `json:"containers"`
		Volumes        []k8sVolume    `json:"volumes,omitempty"`
	}
	k8sContainer struct {
		Name         string           `json:"name"`
		Image        string           `json:"image"`
		Command      []string         `json:"command,omitempty"`
		Args         []string         `json:"args,omitempty"`
		WorkingDir   string           `json:"workingDir,omitempty"`
		Env          []k8sEnv         `json:"env,omitempty"`
		VolumeMounts []k8sVolumeMount `json:"volumeMounts,omitempty"`
		Resources    *k8sResources    `json:"resources,omitempty"`
	}
	k8sEnv struct {
		Name      string        `json:"name"`
		Value     string        `json:"value,omitempty"`
		ValueFrom *k8sEnvSource `json:"valueFrom,omitempty"`
	}
	k8sEnvSource struct {
		SecretKeyRef *k8sKeyRef `json:"secretKeyRef"`
	}
	k8sKeyRef struct {
		Name string `json:"name"`
		Key  string `json:"key"`
	}
	k8sVolumeMount struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
		SubPath   string `json:"subPath,omitempty"`
		ReadOnly  bool   `json:"readOnly,omitempty"`
	}
	k8sVolume struct {
		Name                  string    `json:"name"`
		PersistentVolumeClaim *k8sClaim `json:"persistentVolumeClaim,omitempty"`
		EmptyDir              *struct{} `json:"emptyDir,omitempty"`
	}
	k8sClaim struct {
		ClaimName string `json:"claimName"`
		ReadOnly  bool   `json:"readOnly,omitempty"`
	}
	k8sResources struct {
		Limits map[string]string `json:"limits"`
	}
)

var dnsLabel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9-]+`) })

// k8sName turns s into a DNS-1123 label of at most n characters.
func k8sName(s string, n int) string {
	s = strings.Trim(dnsLabel().ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > n {
		s = strings.TrimRight(s[:n], "-")
	}
	if s == "" {
		s = "x"
	}
	return s
}

// K8sJob returns a Kubernetes Job manifest (YAML) that re-runs r: the image
// pinned by digest, the same argv and environment (secrets as references
// to a Secret, never values), the datasets and outputs as volumes named
// after them, and the run ID, commit and dataset digests as annotations.
// Each dataset is expected in a PersistentVolumeClaim named
// repro-data-<name> and outputs go to repro-out-<run>; the dataset digests
// are annotations, for whoever provisions the claims to check against.
func K8sJob(r *runlog.Run, o K8sOptions) ([]byte, error) {
	p, err := newPlan(r, o.Options)
	if err != nil {
		return nil, err
	}
	if p.PatchB64 != "" {
		return nil, fmt.Errorf("run %s used uncommitted changes; a Kubernetes re-run checks out commits only: commit the changes and run again, or re-run here with repro rerun", p.Short)
	}
	if o.SecretName == "" {
		o.SecretName = "repro-secrets"
	}
	job := k8sJob{APIVersion: "batch/v1", Kind: "Job"}
	name := "repro-rerun-" + p.Short
	labels := map[string]string{"app.kubernetes.io/managed-by": "repro", "repro.dev/rerun-of": p.Short}
	ann := map[string]string{
		"repro.dev/rerun-of":     r.ID,
		"repro.dev/image-digest": r.ImageDigest,
	}
	if r.ImageConfigDigest != "" {
		ann["repro.dev/image-config-digest"] = r.ImageConfigDigest
	}
	job.Metadata = k8sMeta{Name: name, Namespace: o.Namespace, Labels: labels, Annotations: ann}
	job.Spec.BackoffLimit = 0
	job.Spec.Template.Metadata = k8sMeta{Labels: labels, Annotations: ann}
	pod := &job.Spec.Template.Spec
	pod.RestartPolicy = "Never"

	main := k8sContainer{Name: "train", Image: p.Image, Args: r.Argv, WorkingDir: r.Workdir}
	for _, e := range p.Plain {
		main.Env = append(main.Env, k8sEnv{Name: e.Name, Value: e.Value})
	}
	for _, n := range p.Secrets {
		main.Env = append(main.Env, k8sEnv{Name: n, ValueFrom: &k8sEnvSource{SecretKeyRef: &k8sKeyRef{Name: o.SecretName, Key: n}}})
	}
	if r.Memory != "" {
		main.Resources = &k8sResources{Limits: map[string]string{"memory": k8sQuantity(r.Memory)}}
	}

	if len(p.Code) > 0 {
		ref, err := provenance.ParseRef(o.GitImage)
		if err != nil || ref.Digest == "" {
			return nil, &GitImageError{Run: p.Short, Commit: r.Commit}
		}
		ann["repro.dev/commit"] = r.Commit
		remote := r.Remote
		if remote == "" {
			return nil, fmt.Errorf("run %s has no remote URL recorded; a cluster can only fetch commit %s from a remote: push it and record a run with a remote", p.Short, r.Commit)
		}
		pod.Volumes = append(pod.Volumes, k8sVolume{Name: "code", EmptyDir: &struct{}{}})
		pod.InitContainers = append(pod.InitContainers, k8sContainer{
			Name:  "checkout",
			Image: ref.String(),
			Command: []string{"sh", "-c", `git clone --quiet --no-checkout -- "$REPRO_REMOTE" /workspace && ` +
				`git -C /workspace -c advice.detachedHead=false checkout --quiet "$REPRO_COMMIT"`},
			Env:          []k8sEnv{{Name: "REPRO_REMOTE", Value: remote}, {Name: "REPRO_COMMIT", Value: r.Commit}},
			VolumeMounts: []k8sVolumeMount{{Name: "code", MountPath: "/workspace"}},
		})
		main.VolumeMounts = append(main.VolumeMounts, k8sVolumeMount{Name: "code", MountPath: "/workspace", ReadOnly: true})
	}
	for _, d := range p.Data {
		vol := k8sName("data-"+d.Name, 63)
		ann["repro.dev/data."+k8sName(d.Name, 40)] = d.Digest
		pod.Volumes = append(pod.Volumes, k8sVolume{Name: vol, PersistentVolumeClaim: &k8sClaim{ClaimName: k8sName("repro-data-"+d.Name, 63), ReadOnly: true}})
		m := k8sVolumeMount{Name: vol, MountPath: d.Target, ReadOnly: true}
		if d.Kind == "file" {
			m.MountPath, m.SubPath = d.Target, pathBase(d.Path)
		}
		main.VolumeMounts = append(main.VolumeMounts, m)
	}
	if r.OutDir != "" {
		pod.Volumes = append(pod.Volumes, k8sVolume{Name: "out", PersistentVolumeClaim: &k8sClaim{ClaimName: "repro-out-" + p.Short}})
		main.VolumeMounts = append(main.VolumeMounts, k8sVolumeMount{Name: "out", MountPath: "/out"})
	}
	pod.Containers = []k8sContainer{main}
	b, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	y, err := yaml.JSONToYAML(b)
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("# Kubernetes re-run of repro run %s (recorded %s).\n# Datasets are expected in PersistentVolumeClaims repro-data-<name>; secrets in Secret %s.\n", comment(r.ID), comment(p.Recorded), comment(o.SecretName))
	return append([]byte(header), y...), nil
}

// k8sQuantity turns docker's memory units (16g, 512m) into Kubernetes'
// (16Gi, 512Mi).
func k8sQuantity(docker string) string {
	s := strings.ToLower(docker)
	for suffix, unit := range map[string]string{"k": "Ki", "m": "Mi", "g": "Gi", "t": "Ti"} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			return n + unit
		}
		if n, ok := strings.CutSuffix(s, suffix+"b"); ok {
			return n + unit
		}
	}
	return docker
}

func pathBase(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// GitImageError is a Job of a run that mounted its code, without an
// image to check the commit out with (K8sOptions.GitImage).
type GitImageError struct{ Run, Commit string }

func (e *GitImageError) Error() string { return e.Describe("name one") }

// Describe says the fix that names the image as name.
func (e *GitImageError) Describe(name string) string {
	return fmt.Sprintf("run %s mounted its code: the Job needs an image with git, pinned by digest, to check out commit %s: %s", e.Run, e.Commit, name)
}

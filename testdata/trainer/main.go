// Command trainer is the training program of repro's tests and demo: a
// static binary for a scratch image. It reads every file under /data and
// /workspace (but .git), and writes /out/model.bin and /out/metrics.json
// as a pure function of those bytes and --seed, so a faithful re-run
// writes byte-identical outputs.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	seed := flag.Int64("seed", 1, "random seed")
	dataDir := flag.String("data", "/data", "where the datasets are")
	outDir := flag.String("out", "/out", "where outputs go")
	exit := flag.Int("exit", 0, "exit with this status after training")
	sleep := flag.Duration("sleep", 0, "sleep this long first (signal tests)")
	argv := flag.Bool("argv", false, "print each argument as hex on its own line and exit")
	env := flag.String("env", "", "print the value of this variable and exit")
	noise := flag.Bool("noise", false, "mix /dev/urandom into the model (a non-deterministic trainer)")
	ignoreTerm := flag.Bool("ignore-term", false, "with --sleep: ignore SIGTERM and SIGINT")
	alloc := flag.Int("alloc-mib", 0, "allocate and touch this many MiB first (memory-limit tests)")
	timing := flag.Bool("timing", false, "also report train_seconds, a timing that differs on every run")
	metricsAs := flag.String("metrics-as", "", "make /out/metrics.json a FIFO (fifo) or a symlink (link:TARGET) instead of a file (hostile-output tests)")
	flag.Parse()

	if *argv {
		for _, a := range os.Args[1:] {
			fmt.Printf("%x\n", a)
		}
		return
	}
	if *env != "" {
		fmt.Printf("%s=%s\n", *env, os.Getenv(*env))
		return
	}
	if *alloc > 0 {
		var blocks [][]byte
		for i := 0; i < *alloc; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(i + j)
			}
			blocks = append(blocks, b)
		}
		fmt.Printf("trainer: holding %d MiB\n", len(blocks))
	}
	if *sleep > 0 && *ignoreTerm {
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		time.Sleep(*sleep)
	}
	if *sleep > 0 {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		select {
		case s := <-sigs:
			fmt.Printf("trainer: got %v, stopping\n", s)
			os.Exit(3)
		case <-time.After(*sleep):
		}
	}

	h := sha256.New()
	binary.Write(h, binary.BigEndian, *seed)
	var files []string
	filepath.WalkDir(*dataDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	var bytes int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "trainer:", err)
			os.Exit(1)
		}
		bytes += int64(len(b))
		h.Write([]byte(f))
		h.Write(b)
	}
	// The code is part of what is trained: every file under /workspace
	// but git's own.
	var code []string
	filepath.WalkDir("/workspace", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			code = append(code, p)
		}
		return nil
	})
	sort.Strings(code)
	for _, f := range code {
		if b, err := os.ReadFile(f); err == nil {
			h.Write([]byte(f))
			h.Write(b)
		}
	}
	if *noise {
		if f, err := os.Open("/dev/urandom"); err == nil {
			var buf [32]byte
			f.Read(buf[:])
			h.Write(buf[:])
			f.Close()
		}
	}
	sum := h.Sum(nil)
	model := make([]byte, 0, 4096)
	for block := sum; len(model) < 4096; {
		next := sha256.Sum256(block)
		block = next[:]
		model = append(model, block...)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "trainer:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(*outDir, "model.bin"), model, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "trainer:", err)
		os.Exit(1)
	}
	metrics := map[string]any{
		"seed":     *seed,
		"files":    len(files),
		"bytes":    bytes,
		"loss":     float64(sum[0]) / 255,
		"accuracy": float64(sum[1]) / 255,
	}
	if *timing {
		metrics["train_seconds"] = 1 + float64(time.Now().UnixNano()%997)/1000
	}
	b, _ := json.MarshalIndent(metrics, "", "  ")
	var err error
	switch mpath := filepath.Join(*outDir, "metrics.json"); {
	case *metricsAs == "fifo":
		err = syscall.Mkfifo(mpath, 0o644)
	case strings.HasPrefix(*metricsAs, "link:"):
		err = os.Symlink(strings.TrimPrefix(*metricsAs, "link:"), mpath)
	default:
		err = os.WriteFile(mpath, append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "trainer:", err)
		os.Exit(1)
	}
	fmt.Printf("trainer: %d files, %d bytes, seed %d, model %x\n", len(files), bytes, *seed, sum[:6])
	os.Exit(*exit)
}

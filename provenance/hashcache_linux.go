package provenance

import (
	"os"
	"syscall"
)

func statExtra(fi os.FileInfo, st *FileState) {
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.CtimeNs = s.Ctim.Sec*1e9 + s.Ctim.Nsec
		st.Ino, st.Dev = s.Ino, uint64(s.Dev)
	}
}

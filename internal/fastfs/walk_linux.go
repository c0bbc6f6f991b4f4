package fastfs

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func (d Dir) Close() {
	if d.FD >= 0 {
		unix.Close(d.FD)
	}
}

// lister reads directories with getdents into one buffer it keeps, and
// takes each entry's kind from it: no allocation but each entry's path
// (its name sliced from it), and no stat for the kind unless the file
// system leaves it unknown.
type lister struct {
	buf  []byte
	ents []DirEnt
}

func (l *lister) list(path, rel string) (Dir, []DirEnt, error) {
	d := Dir{FD: -1, Path: path}
	fd, err := open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return d, nil, err
	}
	d.FD = fd
	if l.buf == nil {
		l.buf = make([]byte, 64<<10)
	}
	l.ents = l.ents[:0]
	for {
		n, err := unix.Getdents(fd, l.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return d, l.ents, &os.PathError{Op: "readdirent", Path: path, Err: err}
		}
		if n <= 0 {
			return d, l.ents, nil
		}
		for b := l.buf[:n]; len(b) > 0; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 20 || reclen > len(b) {
				return d, l.ents, &os.PathError{Op: "readdirent", Path: path, Err: unix.EIO}
			}
			typ, name := b[18], b[19:reclen]
			b = b[reclen:]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if len(name) == 0 || name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.') {
				continue
			}
			e := NewDirEnt(rel, name)
			switch typ {
			case unix.DT_REG:
				e.Kind = EntFile
			case unix.DT_DIR:
				e.Kind = EntDir
			case unix.DT_LNK:
				e.Kind = EntLink
			case unix.DT_UNKNOWN:
				var st unix.Stat_t
				if err := fstatat(fd, e.Name, &st); err != nil {
					continue // gone since listed
				}
				e.Kind = kindOf(st.Mode)
			}
			l.ents = append(l.ents, e)
		}
	}
}

// open opens path with the open system call, again when a signal
// interrupts it, without what an *os.File costs (see hashOpenFlags).
func open(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, flags, 0)
		switch err {
		case nil:
			return fd, nil
		case unix.EINTR:
			continue
		}
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
}

func kindOf(mode uint32) EntKind {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return EntFile
	case unix.S_IFDIR:
		return EntDir
	case unix.S_IFLNK:
		return EntLink
	}
	return EntOther
}

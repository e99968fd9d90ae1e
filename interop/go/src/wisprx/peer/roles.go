package peer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

const chunk = 32 * 1024

// tally counts bytes and, unless hashing is off, hashes them.
type tally struct {
	n int64
	h hash.Hash
}

func newTally(noHash bool) *tally {
	if noHash {
		return &tally{}
	}
	return &tally{h: sha256.New()}
}

func (t *tally) add(b []byte) {
	t.n += int64(len(b))
	if t.h != nil {
		t.h.Write(b)
	}
}

func (t *tally) report(ev Event, dir string) {
	ev[dir] = t.n
	if t.h != nil {
		ev["sha256_"+dir] = hex.EncodeToString(t.h.Sum(nil))
	}
}

// handle runs one role on one stream and reports it as a "stream" event.
func (r *runner) handle(s Stream, opened bool, role string) bool {
	start := time.Now()
	ev := Event{"id": s.ID(), "opened": opened, "role": role}
	var err error
	if r.cfg.Trigger {
		err = r.trigger(s, opened)
	}
	if err == nil {
		switch role {
		case "echo":
			err = r.echo(s, ev)
		case "sink":
			err = r.sink(s, ev)
		case "source":
			err = r.source(s, ev)
		case "echo-check":
			err = r.echoCheck(s, ev)
		case "bench":
			err = r.bench(s, ev)
		}
	}
	ev["ms"] = ms(time.Since(start))
	ev["ok"] = err == nil
	if err != nil {
		ev["error"] = err.Error()
		_ = s.Close()
	}
	emit("stream", ev)
	return err == nil
}

// trigger: the opener speaks first, so the acceptor never pushes onto a stream the opener
// has not registered yet (smux writes SYN before it adds the stream to its map).
func (r *runner) trigger(s Stream, opened bool) error {
	if opened {
		_, err := s.Write([]byte{'g'})
		return err
	}
	var b [1]byte
	if _, err := io.ReadFull(s, b[:]); err != nil {
		return fmt.Errorf("reading the trigger byte: %w", err)
	}
	return nil
}

// echo writes back everything it reads, until EOF, then closes.
func (r *runner) echo(s Stream, ev Event) error {
	in, back := newTally(r.cfg.NoHash), newTally(true)
	buf := make([]byte, chunk)
	var err error
	for {
		n, rerr := s.Read(buf)
		if n > 0 {
			in.add(buf[:n])
			if _, werr := s.Write(buf[:n]); werr != nil {
				err = fmt.Errorf("write: %w", werr)
				break
			}
			back.add(buf[:n])
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = fmt.Errorf("read: %w", rerr)
			break
		}
	}
	in.report(ev, "received")
	ev["sent"] = back.n
	if err != nil {
		return err
	}
	return s.Close()
}

// sink reads until EOF and reports what came.
func (r *runner) sink(s Stream, ev Event) error {
	in := newTally(r.cfg.NoHash)
	buf := make([]byte, chunk)
	var err error
	for {
		n, rerr := s.Read(buf)
		in.add(buf[:n])
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = fmt.Errorf("read: %w", rerr)
			break
		}
	}
	in.report(ev, "received")
	if err != nil {
		return err
	}
	return s.Close()
}

// source writes -bytes of the stream's pattern, then closes (FIN).
func (r *runner) source(s Stream, ev Event) error {
	out := newTally(r.cfg.NoHash)
	err := r.writePattern(s, out)
	out.report(ev, "sent")
	if err != nil {
		return err
	}
	return s.Close()
}

func (r *runner) writePattern(s Stream, out *tally) error {
	p := newPattern(s.ID())
	buf := make([]byte, chunk)
	for left := r.cfg.Bytes; left > 0; {
		n := int64(len(buf))
		if left < n {
			n = left
		}
		p.fill(buf[:n])
		if _, err := s.Write(buf[:n]); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		out.add(buf[:n])
		left -= n
	}
	return nil
}

// echoCheck writes the pattern while it reads the echo back, and checks the echo byte for
// byte. With -halfclose it half-closes after writing and reads until EOF.
func (r *runner) echoCheck(s Stream, ev Event) error {
	out, in := newTally(r.cfg.NoHash), newTally(r.cfg.NoHash)
	wrote := make(chan error, 1)
	go func() {
		err := r.writePattern(s, out)
		if err == nil && r.cfg.HalfClose {
			err = r.p.HalfClose(s)
		}
		wrote <- err
	}()
	readErr := r.readEcho(s, in, ev)
	writeErr := <-wrote
	out.report(ev, "sent")
	in.report(ev, "received")
	switch {
	case writeErr != nil:
		return writeErr
	case readErr != nil:
		return readErr
	case in.n != r.cfg.Bytes:
		return fmt.Errorf("echo has %d bytes, sent %d", in.n, r.cfg.Bytes)
	}
	return s.Close()
}

// readEcho reads the echo and compares it with the pattern as it comes.
func (r *runner) readEcho(s Stream, in *tally, ev Event) error {
	want := newPattern(s.ID())
	buf, exp := make([]byte, chunk), make([]byte, chunk)
	spurious := 0
	for {
		if !r.cfg.HalfClose && in.n == r.cfg.Bytes {
			return nil
		}
		max := int64(len(buf))
		if left := r.cfg.Bytes - in.n; !r.cfg.HalfClose && left < max {
			max = left
		}
		n, err := s.Read(buf[:max])
		if n > 0 {
			if in.n+int64(n) > r.cfg.Bytes {
				return fmt.Errorf("echo is longer than the %d bytes sent", r.cfg.Bytes)
			}
			want.fill(exp[:n])
			if !bytes.Equal(buf[:n], exp[:n]) {
				return fmt.Errorf("echo differs from what was sent, within bytes %d..%d", in.n, in.n+int64(n))
			}
			in.add(buf[:n])
		}
		if errors.Is(err, io.EOF) && r.cfg.HalfClose && r.p.SpuriousEOF && in.n < r.cfg.Bytes {
			// Debian's yamux returns EOF from a half-closed stream whenever its buffer is
			// empty for a moment; the peer's FIN has not come. Poll until the echo is
			// whole (the -deadline bounds this), and count how often that happened.
			spurious++
			ev["spurious_eofs"] = spurious
			time.Sleep(time.Millisecond)
			continue
		}
		if err == io.EOF {
			if r.cfg.HalfClose {
				return nil
			}
			return fmt.Errorf("EOF after %d of %d echoed bytes", in.n, r.cfg.Bytes)
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
	}
}

// bench is an echo check that measures the multiplexer, not this program: it writes one
// fixed buffer over and over and only counts the echo (like the notes' "no hash" rows).
func (r *runner) bench(s Stream, ev Event) error {
	buf := make([]byte, chunk)
	newPattern(s.ID()).fill(buf)
	wrote := make(chan error, 1)
	go func() {
		for left := r.cfg.Bytes; left > 0; {
			n := int64(len(buf))
			if left < n {
				n = left
			}
			if _, err := s.Write(buf[:n]); err != nil {
				wrote <- fmt.Errorf("write: %w", err)
				return
			}
			left -= n
		}
		wrote <- nil
	}()
	rbuf := make([]byte, chunk)
	var got int64
	var readErr error
	for got < r.cfg.Bytes && readErr == nil {
		var n int
		n, readErr = s.Read(rbuf)
		got += int64(n)
	}
	writeErr := <-wrote
	ev["sent"], ev["received"] = r.cfg.Bytes, got
	switch {
	case writeErr != nil:
		return writeErr
	case got != r.cfg.Bytes:
		return fmt.Errorf("echo has %d bytes, sent %d (%v)", got, r.cfg.Bytes, readErr)
	}
	return s.Close()
}

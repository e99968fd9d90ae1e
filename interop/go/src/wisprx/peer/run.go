package peer

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Main parses the flags, runs the program and exits: 0 when every stream succeeded, 1 when
// one failed or the session could not start, 2 for bad flags, 3 when -deadline passed.
func Main(p *Protocol) {
	fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
	cfg := registerCommon(fs)
	if p.Flags != nil {
		p.Flags(fs)
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if err := cfg.validate(p); err != nil {
		emit("error", Event{"error": err.Error()})
		os.Exit(2)
	}
	time.AfterFunc(cfg.Deadline, func() {
		emit("error", Event{"error": fmt.Sprintf("deadline: still running after %s", cfg.Deadline)})
		os.Exit(3)
	})
	r := &runner{p: p, cfg: cfg}
	var ok bool
	if cfg.Mode == "server" {
		ok = r.server()
	} else {
		ok = r.client()
	}
	ok = ok && r.failed.Load() == 0
	emit("done", Event{"ok": ok, "streams": r.streams.Load(), "failed": r.failed.Load()})
	if !ok {
		os.Exit(1)
	}
}

type runner struct {
	p       *Protocol
	cfg     *Config
	streams atomic.Int64
	failed  atomic.Int64
}

func (r *runner) fail() { r.failed.Add(1) }

func (r *runner) server() bool {
	ln, err := net.Listen("tcp", r.cfg.Listen)
	if err != nil {
		emit("error", Event{"error": err.Error()})
		return false
	}
	emit("listening", Event{"addr": ln.Addr().String()})
	var wg sync.WaitGroup
	ok := atomic.Bool{}
	ok.Store(true)
	for n := 0; r.cfg.Sessions == 0 || n < r.cfg.Sessions; n++ {
		conn, err := ln.Accept()
		if err != nil {
			emit("error", Event{"error": err.Error()})
			return false
		}
		emit("accepted", Event{"remote": conn.RemoteAddr().String()})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !r.conn(conn.(*net.TCPConn), false) {
				ok.Store(false)
			}
		}()
	}
	ln.Close()
	wg.Wait()
	return ok.Load()
}

func (r *runner) client() bool {
	conn, err := net.Dial("tcp", r.cfg.Connect)
	if err != nil {
		emit("error", Event{"error": err.Error()})
		return false
	}
	emit("connected", Event{"local": conn.LocalAddr().String(), "remote": conn.RemoteAddr().String()})
	return r.conn(conn.(*net.TCPConn), true)
}

// tracker counts stream handlers; changed gets a token on every change.
type tracker struct {
	mu                sync.Mutex
	started, inflight int
	changed           chan struct{}
}

func (t *tracker) add(d int) {
	t.mu.Lock()
	if d > 0 {
		t.started += d
	}
	t.inflight += d
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) get() (started, inflight int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started, t.inflight
}

// conn runs one session to its end.
func (r *runner) conn(raw *net.TCPConn, client bool) bool {
	tc := raw
	defer tc.Close()
	if r.cfg.Role == "silent" {
		return silent(tc)
	}
	sess, err := r.p.NewSession(tc, client)
	if err != nil {
		emit("error", Event{"error": err.Error()})
		return false
	}
	info := Event{"client": client}
	if r.p.Settings != nil {
		for k, v := range r.p.Settings() {
			info[k] = v
		}
	}
	emit("session", info)

	var closedLocally atomic.Bool
	var goAwayOnce sync.Once
	if r.cfg.GoAwayAfter == 0 {
		goAwayOnce.Do(func() { r.goAway(sess) })
	}

	accepted := &tracker{changed: make(chan struct{}, 1)}
	acceptEnded := make(chan struct{})
	go func() {
		defer close(acceptEnded)
		for {
			if r.cfg.AcceptDelay > 0 {
				time.Sleep(r.cfg.AcceptDelay)
			}
			s, err := sess.Accept()
			if err != nil {
				emit("session-end", Event{"reason": r.p.EndReason(err, closedLocally.Load()), "error": err.Error()})
				return
			}
			accepted.add(1)
			if n, _ := accepted.get(); r.cfg.GoAwayAfter > 0 && n == r.cfg.GoAwayAfter {
				// Before the stream's role runs, so that an established stream is open
				// across the GoAway (yamux: it must carry on).
				goAwayOnce.Do(func() { r.goAway(sess) })
			}
			go func() {
				r.run(s, false, r.cfg.AcceptRole)
				accepted.add(-1)
			}()
		}
	}()

	for i := 0; i < r.cfg.Ping; i++ {
		rtt, err := r.ping(sess)
		if err != nil {
			emit("ping", Event{"error": err.Error()})
			r.fail()
			break
		}
		emit("ping", Event{"rtt_us": rtt.Microseconds()})
	}

	own := r.openAll(sess)
	// One side ends the connection, the one that knows the exchange is over: both
	// libraries drop streams still waiting for Accept when the socket reaches EOF, so
	// the other side must not close while the peer may still be accepting.
	if r.cfg.End == "self" && (r.cfg.Open > 0 || r.cfg.Expect > 0) {
		if r.waitOwnWork(own, accepted, acceptEnded) {
			// End the TCP write side and wait for the peer to close: closing a socket
			// with unread bytes makes Linux send RST, and the peer loses what it had
			// received but not read.
			_ = tc.CloseWrite()
			emit("close-write", nil)
			waitFor(acceptEnded, r.cfg.Linger)
		}
	} else {
		<-acceptEnded
	}
	// Give the handlers time to drain, then close the session, which wakes the rest.
	idle := make(chan struct{})
	go func() {
		for {
			if _, n := accepted.get(); n == 0 {
				break
			}
			<-accepted.changed
		}
		<-own
		close(idle)
	}()
	waitFor(idle, r.cfg.Linger)
	closedLocally.Store(true)
	_ = sess.Close()
	<-idle
	return true
}

// openAll opens -open streams and runs the role on each; the channel closes when all end.
func (r *runner) openAll(sess Session) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < r.cfg.Open; i++ {
		s, err := sess.Open()
		if err != nil {
			emit("open-error", Event{"index": i, "error": err.Error()})
			r.fail()
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run(s, true, r.cfg.Role)
		}()
	}
	go func() {
		wg.Wait()
		if r.cfg.Role == "bench" && r.cfg.Open > 0 {
			secs := time.Since(start).Seconds()
			mib := float64(r.cfg.Bytes) * float64(r.cfg.Open) / (1 << 20)
			emit("bench", Event{"streams": r.cfg.Open, "bytes_per_stream": r.cfg.Bytes, "seconds": secs, "mib_per_s": mib / secs})
		}
		close(done)
	}()
	return done
}

// waitOwnWork waits until the opened streams are done and -expect peer-opened streams have
// come and finished. False when the session ended first.
func (r *runner) waitOwnWork(own <-chan struct{}, accepted *tracker, acceptEnded <-chan struct{}) bool {
	ownDone := false
	for {
		if started, inflight := accepted.get(); ownDone && started >= r.cfg.Expect && inflight == 0 {
			return true
		}
		select {
		case <-own:
			ownDone, own = true, nil
		case <-accepted.changed:
		case <-acceptEnded:
			return false
		}
	}
}

func (r *runner) run(s Stream, opened bool, role string) {
	r.streams.Add(1)
	if !r.handle(s, opened, role) {
		r.fail()
	}
}

func (r *runner) ping(sess Session) (time.Duration, error) {
	p, ok := sess.(Pinger)
	if !ok {
		return 0, errors.New(r.p.Name + " has no ping")
	}
	return p.Ping()
}

func (r *runner) goAway(sess Session) {
	g, ok := sess.(GoAwayer)
	if !ok {
		emit("goaway-sent", Event{"error": r.p.Name + " has no GoAway"})
		r.fail()
		return
	}
	if err := g.GoAway(); err != nil {
		emit("goaway-sent", Event{"error": err.Error()})
		r.fail()
		return
	}
	emit("goaway-sent", nil)
}

func waitFor(ch <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// silent never writes a byte, so no pong, NOP or window update ever reaches the peer; it
// reads and discards, so the peer's writes never block and its close is seen.
func silent(c *net.TCPConn) bool {
	emit("silent", nil)
	start := time.Now()
	last := start
	var n int64
	buf := make([]byte, 64*1024)
	for {
		k, err := c.Read(buf)
		if k > 0 {
			n += int64(k)
			last = time.Now()
		}
		if err != nil {
			ev := Event{"received": n, "ms": ms(time.Since(start)), "ms_since_data": ms(time.Since(last))}
			if err != io.EOF {
				ev["error"] = err.Error()
			}
			emit("peer-closed", ev)
			return true
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

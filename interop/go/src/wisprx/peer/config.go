package peer

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Stream is what a role needs from a multiplexed stream.
type Stream interface {
	io.ReadWriteCloser
	ID() uint32
}

// Session is what the lifecycle needs from a multiplexed session.
type Session interface {
	Open() (Stream, error)
	Accept() (Stream, error)
	Close() error
}

// Pinger and GoAwayer are the optional session features (yamux has both, smux neither).
type Pinger interface{ Ping() (time.Duration, error) }
type GoAwayer interface{ GoAway() error }

// Protocol is what each program plugs in.
type Protocol struct {
	Name string
	// Flags registers the protocol's own flags; Validate checks them after parsing.
	Flags    func(fs *flag.FlagSet)
	Validate func() error
	// Settings describes the effective protocol settings (echoed in the "session" event).
	Settings func() Event
	// NewSession starts a session over conn.
	NewSession func(conn io.ReadWriteCloser, client bool) (Session, error)
	// HalfClose sends FIN and keeps reading; nil when the library cannot (smux 1.5.16).
	HalfClose func(Stream) error
	// SpuriousEOF: after HalfClose, Read may return EOF before the peer's FIN (Debian's
	// yamux, fixed upstream in #131), so the echo check polls past it.
	SpuriousEOF bool
	// Ping and GoAway: whether the session implements Pinger and GoAwayer.
	Ping, GoAway bool
	// EndReason names why Accept failed: "peer-closed", "keepalive-timeout", …
	EndReason func(err error, closedLocally bool) string
}

// Config holds the flags every program shares.
type Config struct {
	Mode, Listen, Connect  string
	Role, AcceptRole       string
	End                    string
	Open, Expect, Sessions int
	Bytes                  int64
	Trigger, HalfClose     bool
	NoHash                 bool
	Ping, GoAwayAfter      int
	Deadline, Linger       time.Duration
	AcceptDelay            time.Duration
	bytesFlag              string
}

var roles = map[string]bool{"echo": true, "sink": true, "source": true, "echo-check": true, "bench": true, "silent": true}

func registerCommon(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Mode, "mode", "server", "server | client")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:0", "server: address to listen on")
	fs.StringVar(&c.Connect, "connect", "", "client: address to connect to")
	fs.StringVar(&c.Role, "role", "echo", "what to do on each stream: echo | sink | source | echo-check | bench | silent")
	fs.StringVar(&c.AcceptRole, "accept-role", "", "role for streams the peer opens (default: -role)")
	fs.IntVar(&c.Open, "open", 0, "streams this program opens itself (each runs the role)")
	fs.IntVar(&c.Expect, "expect", 0, "with -end self: also wait for this many peer-opened streams to finish before ending (so a side with -open 0 can end)")
	fs.StringVar(&c.End, "end", "", "who ends the connection once the work is done: self (TCP CloseWrite, then wait for the peer to close) or peer (wait for it); default self for a client, peer for a server")
	fs.IntVar(&c.Sessions, "sessions", 1, "server: connections to serve before exiting (0: until the deadline)")
	fs.StringVar(&c.bytesFlag, "bytes", "1MiB", "bytes per stream for source, echo-check and bench (suffixes K, KiB, M, MiB)")
	fs.BoolVar(&c.Trigger, "trigger", false, "the opener writes one byte 'g' first and the acceptor reads it before its role (works around smux's OpenStream race)")
	fs.BoolVar(&c.HalfClose, "halfclose", false, "echo-check: write everything, half-close, then read the echo until EOF")
	fs.BoolVar(&c.NoHash, "nohash", false, "skip SHA-256 (throughput runs)")
	fs.IntVar(&c.Ping, "ping", 0, "send this many pings after the session starts (yamux)")
	fs.IntVar(&c.GoAwayAfter, "goaway-after", -1, "send GoAway once this many peer-opened streams have been accepted (before the last one runs); 0: at session start (yamux)")
	fs.DurationVar(&c.Deadline, "deadline", 60*time.Second, "the program exits (status 3) after this long")
	fs.DurationVar(&c.Linger, "linger", 5*time.Second, "how long to wait for the peer to close, and for streams to drain, at the end")
	fs.DurationVar(&c.AcceptDelay, "accept-delay", 0, "wait this long before each Accept (to test opens the acceptor has not taken yet)")
	return c
}

func (c *Config) validate(p *Protocol) error {
	if c.Mode != "server" && c.Mode != "client" {
		return fmt.Errorf("-mode must be server or client, not %q", c.Mode)
	}
	if c.Mode == "client" && c.Connect == "" {
		return fmt.Errorf("-mode client needs -connect host:port")
	}
	if c.End == "" {
		c.End = map[string]string{"client": "self", "server": "peer"}[c.Mode]
	}
	if c.End != "self" && c.End != "peer" {
		return fmt.Errorf("-end must be self or peer, not %q", c.End)
	}
	if c.AcceptRole == "" {
		c.AcceptRole = c.Role
	}
	for _, r := range []string{c.Role, c.AcceptRole} {
		if !roles[r] {
			return fmt.Errorf("unknown role %q", r)
		}
	}
	n, err := parseSize(c.bytesFlag)
	if err != nil {
		return err
	}
	c.Bytes = n
	if c.HalfClose && p.HalfClose == nil {
		return fmt.Errorf("-halfclose: %s has no half-close (Stream.Close sends FIN and drops the read side)", p.Name)
	}
	if c.Open < 0 || c.Expect < 0 || c.Sessions < 0 || c.Ping < 0 {
		return fmt.Errorf("-open, -expect, -sessions and -ping must not be negative")
	}
	if c.Ping > 0 && !p.Ping {
		return fmt.Errorf("-ping: %s has no ping frame", p.Name)
	}
	if c.GoAwayAfter >= 0 && !p.GoAway {
		return fmt.Errorf("-goaway-after: %s has no GoAway frame", p.Name)
	}
	if p.Validate != nil {
		return p.Validate()
	}
	return nil
}

// parseSize reads "1048576", "64K", "64KiB", "16M", "16MiB" (K and M are binary, as in the notes).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	t := strings.TrimSuffix(strings.TrimSuffix(s, "iB"), "B")
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, strings.TrimSuffix(t, "K")
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, strings.TrimSuffix(t, "G")
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// yamux-peer: a Go hashicorp/yamux peer for wisp-rx's interop tests (Debian's 2019
// snapshot, version byte 0). Shared flags and events: package wisprx/peer. It adds
// -ping and -goaway-after (shared flags) through Session.Ping and Session.GoAway.
package main

import (
	"errors"
	"flag"
	"io"
	"os"

	"github.com/hashicorp/yamux"
	"wisprx/peer"
)

var cfg = yamux.DefaultConfig()

type session struct{ *yamux.Session }

func (s session) Open() (peer.Stream, error) {
	st, err := s.OpenStream()
	if err != nil {
		return nil, err
	}
	return stream{st}, nil
}

func (s session) Accept() (peer.Stream, error) {
	st, err := s.AcceptStream()
	if err != nil {
		return nil, err
	}
	return stream{st}, nil
}

type stream struct{ *yamux.Stream }

func (s stream) ID() uint32 { return s.StreamID() }

func main() {
	var noKeepAlive bool
	var maxWindow uint
	peer.Main(&peer.Protocol{
		Name: "yamux",
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&noKeepAlive, "no-keepalive", false, "send no keepalive pings (EnableKeepAlive false)")
			fs.DurationVar(&cfg.KeepAliveInterval, "keepalive-interval", cfg.KeepAliveInterval, "ping every this long")
			fs.DurationVar(&cfg.ConnectionWriteTimeout, "write-timeout", cfg.ConnectionWriteTimeout, "ConnectionWriteTimeout: also how long a ping waits for its reply")
			fs.UintVar(&maxWindow, "max-window", uint(cfg.MaxStreamWindowSize), "MaxStreamWindowSize (≥ 262144); the extra is granted with SYN/ACK")
			fs.IntVar(&cfg.AcceptBacklog, "accept-backlog", cfg.AcceptBacklog, "SYNs waiting for Accept beyond this get RST; also the cap on un-ACKed opens")
		},
		Validate: func() error {
			cfg.EnableKeepAlive = !noKeepAlive
			cfg.MaxStreamWindowSize = uint32(maxWindow)
			cfg.LogOutput = os.Stderr // the library's own log lines, for diagnosis
			return yamux.VerifyConfig(cfg)
		},
		Settings: func() peer.Event {
			return peer.Event{"protocol": "yamux", "version": 0, "keepalive": cfg.EnableKeepAlive,
				"keepalive_interval_ms": cfg.KeepAliveInterval.Milliseconds(), "write_timeout_ms": cfg.ConnectionWriteTimeout.Milliseconds(),
				"max_window": cfg.MaxStreamWindowSize, "accept_backlog": cfg.AcceptBacklog}
		},
		NewSession: func(conn io.ReadWriteCloser, client bool) (peer.Session, error) {
			var s *yamux.Session
			var err error
			if client {
				s, err = yamux.Client(conn, cfg)
			} else {
				s, err = yamux.Server(conn, cfg)
			}
			if err != nil {
				return nil, err
			}
			return session{s}, nil
		},
		// yamux's Close is a half-close: it sends FIN and reads go on until the peer's FIN.
		HalfClose:   func(s peer.Stream) error { return s.Close() },
		SpuriousEOF: true,
		Ping:        true,
		GoAway:      true,
		EndReason: func(err error, closedLocally bool) string {
			switch {
			case errors.Is(err, yamux.ErrKeepAliveTimeout):
				return "keepalive-timeout"
			case errors.Is(err, io.EOF):
				return "peer-closed"
			case errors.Is(err, yamux.ErrSessionShutdown) && closedLocally:
				return "local"
			case errors.Is(err, yamux.ErrInvalidVersion), errors.Is(err, yamux.ErrInvalidMsgType),
				errors.Is(err, yamux.ErrDuplicateStream), errors.Is(err, yamux.ErrRecvWindowExceeded),
				errors.Is(err, yamux.ErrUnexpectedFlag):
				return "protocol-error"
			}
			return "error"
		},
	})
}

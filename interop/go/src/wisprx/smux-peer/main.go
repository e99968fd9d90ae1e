// smux-peer: a Go xtaci/smux peer for wisp-rx's interop tests (Debian's 1.5.16).
// Shared flags and events: package wisprx/peer. Its own flags: -version, keepalive,
// frame size and receive buffers, all handed to smux.VerifyConfig as given.
package main

import (
	"errors"
	"flag"
	"io"

	"github.com/xtaci/smux"
	"wisprx/peer"
)

var cfg = smux.DefaultConfig()

type session struct{ *smux.Session }

func (s session) Open() (peer.Stream, error) {
	st, err := s.OpenStream()
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (s session) Accept() (peer.Stream, error) {
	st, err := s.AcceptStream()
	if err != nil {
		return nil, err
	}
	return st, nil
}

func main() {
	var noKeepAlive bool
	peer.Main(&peer.Protocol{
		Name: "smux",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&cfg.Version, "version", cfg.Version, "smux protocol version, 1 or 2 (both ends must agree)")
			fs.BoolVar(&noKeepAlive, "no-keepalive", false, "send no NOPs and never time out (KeepAliveDisabled)")
			fs.DurationVar(&cfg.KeepAliveInterval, "keepalive-interval", cfg.KeepAliveInterval, "NOP every this long")
			fs.DurationVar(&cfg.KeepAliveTimeout, "keepalive-timeout", cfg.KeepAliveTimeout, "close when no frame came for this long (checked on a ticker)")
			fs.IntVar(&cfg.MaxFrameSize, "max-frame", cfg.MaxFrameSize, "largest PSH payload this side sends (1..65535)")
			fs.IntVar(&cfg.MaxReceiveBuffer, "max-receive-buffer", cfg.MaxReceiveBuffer, "session-wide receive budget in bytes")
			fs.IntVar(&cfg.MaxStreamBuffer, "max-stream-buffer", cfg.MaxStreamBuffer, "v2: the window announced in UPD")
		},
		Validate: func() error {
			cfg.KeepAliveDisabled = noKeepAlive
			return smux.VerifyConfig(cfg)
		},
		Settings: func() peer.Event {
			return peer.Event{"protocol": "smux", "version": cfg.Version, "keepalive": !cfg.KeepAliveDisabled,
				"keepalive_interval_ms": cfg.KeepAliveInterval.Milliseconds(), "keepalive_timeout_ms": cfg.KeepAliveTimeout.Milliseconds(),
				"max_frame": cfg.MaxFrameSize, "max_receive_buffer": cfg.MaxReceiveBuffer, "max_stream_buffer": cfg.MaxStreamBuffer}
		},
		NewSession: func(conn io.ReadWriteCloser, client bool) (peer.Session, error) {
			var s *smux.Session
			var err error
			if client {
				s, err = smux.Client(conn, cfg)
			} else {
				s, err = smux.Server(conn, cfg)
			}
			if err != nil {
				return nil, err
			}
			return session{s}, nil
		},
		// Stream.Close in 1.5.16 sends FIN and forgets the stream: there is no half-close.
		HalfClose: nil,
		EndReason: func(err error, closedLocally bool) string {
			switch {
			case errors.Is(err, smux.ErrInvalidProtocol):
				return "protocol-error"
			case errors.Is(err, io.ErrClosedPipe) && !closedLocally:
				// smux closes a session by itself only when its keepalive check fails.
				return "keepalive-timeout"
			case errors.Is(err, io.ErrClosedPipe):
				return "local"
			case errors.Is(err, io.EOF):
				return "peer-closed"
			}
			return "error"
		},
	})
}

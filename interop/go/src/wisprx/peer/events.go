// Package peer is the protocol-independent part of the Go interop peers (smux-peer,
// yamux-peer): flags, per-stream roles, the session lifecycle and the JSON event lines the
// TypeScript tests parse. Each program supplies a Protocol that wraps its library.
package peer

import (
	"encoding/json"
	"os"
	"sync"
)

// Event is one JSON line on stdout. "event" names it; the other fields depend on it.
type Event map[string]interface{}

// emitter writes events one whole line at a time: handlers on many goroutines share stdout,
// and a reader on the other end splits on newlines.
type emitter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

var out = &emitter{enc: json.NewEncoder(os.Stdout)}

func emit(name string, fields Event) {
	if fields == nil {
		fields = Event{}
	}
	fields["event"] = name
	out.mu.Lock()
	defer out.mu.Unlock()
	_ = out.enc.Encode(fields)
}

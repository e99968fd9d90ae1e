package peer

import "encoding/binary"

// The deterministic data a source (or an echo check) sends on a stream: xorshift32 seeded
// from the stream id, one 32-bit step per four bytes, little-endian. Seeding by id means data
// that lands on the wrong stream fails the check; the TypeScript side has the same generator
// (spec/support/go.ts goPattern).
type pattern struct {
	x    uint32
	word [4]byte
	used int // bytes of word already handed out; 4 = take a new step
}

func newPattern(sid uint32) *pattern {
	x := sid*0x9E3779B1 + 1
	if x == 0 {
		x = 1 // xorshift never leaves 0
	}
	return &pattern{x: x, used: 4}
}

func (p *pattern) step() uint32 {
	x := p.x
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	p.x = x
	return x
}

// fill writes the next len(b) bytes of the pattern into b.
func (p *pattern) fill(b []byte) {
	i := 0
	for i < len(b) && p.used < 4 {
		b[i] = p.word[p.used]
		p.used++
		i++
	}
	for ; i+4 <= len(b); i += 4 {
		binary.LittleEndian.PutUint32(b[i:], p.step())
	}
	if i < len(b) {
		binary.LittleEndian.PutUint32(p.word[:], p.step())
		p.used = 0
		for ; i < len(b); i++ {
			b[i] = p.word[p.used]
			p.used++
		}
	}
}

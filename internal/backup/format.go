package backup

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"strongroom.dev/strongroom/internal/store"
)

// The data of a backup, before compression and encryption, is a stream of
// frames (a tag byte, the payload's length as a uvarint, the payload):
//
//	magic  "strongroom-backup/1\n"
//	'T'    a table: its name, then each column's name and kind
//	'R'    a row: each value as a tag (0 null, 1 integer, 2 text, 3 bytes)
//	       then a varint, or a length and the bytes
//	'E'    the table's end: how many rows it had
//	'Z'    the end of the stream
//
// Each table's checksum is SHA-256 over its frames' payloads, from 'T' to
// 'E'; the manifest holds it with the row count. Neither engine owns the
// format: integers, text and bytes are all the schema uses.

const magic = "strongroom-backup/1\n"

const (
	frameTable byte = 'T'
	frameRow   byte = 'R'
	frameEnd   byte = 'E'
	frameDone  byte = 'Z'
)

const (
	valNull byte = iota
	valInt
	valText
	valBytes
)

// maxFrame bounds one frame's payload (a row of sealed photos is the
// largest: 8 MiB of photo, sealed and in bytes, plus its other columns).
const maxFrame = 64 << 20

// encoder writes the frames.
type encoder struct {
	w    *bufio.Writer
	buf  []byte
	sum  hash.Hash
	rows int64
}

func newEncoder(w io.Writer) (*encoder, error) {
	e := &encoder{w: bufio.NewWriterSize(w, 1<<20), sum: sha256.New()}
	_, err := e.w.WriteString(magic)
	return e, err
}

func (e *encoder) frame(tag byte, payload []byte) error {
	var h [1 + binary.MaxVarintLen64]byte
	h[0] = tag
	n := binary.PutUvarint(h[1:], uint64(len(payload)))
	if _, err := e.w.Write(h[:1+n]); err != nil {
		return err
	}
	_, err := e.w.Write(payload)
	if tag != frameDone {
		e.sum.Write(payload)
	}
	return err
}

// table begins a table.
func (e *encoder) table(t store.Table) error {
	e.sum.Reset()
	e.rows = 0
	b := appendString(nil, t.Name)
	b = binary.AppendUvarint(b, uint64(len(t.Columns)))
	for _, c := range t.Columns {
		b = appendString(b, c.Name)
		b = append(b, c.Kind)
	}
	return e.frame(frameTable, b)
}

// row writes one row.
func (e *encoder) row(vals []any) error {
	b := e.buf[:0]
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b = append(b, valNull)
		case int64:
			b = append(b, valInt)
			b = binary.AppendVarint(b, x)
		case string:
			b = append(b, valText)
			b = appendString(b, x)
		case []byte:
			b = append(b, valBytes)
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		default:
			return fmt.Errorf("backup: cannot encode a %T", v)
		}
	}
	e.buf = b
	e.rows++
	return e.frame(frameRow, b)
}

// end ends the table and returns its row count and checksum.
func (e *encoder) end() (int64, [32]byte, error) {
	err := e.frame(frameEnd, binary.AppendUvarint(nil, uint64(e.rows)))
	var sum [32]byte
	copy(sum[:], e.sum.Sum(nil))
	return e.rows, sum, err
}

func (e *encoder) close() error {
	if err := e.frame(frameDone, nil); err != nil {
		return err
	}
	return e.w.Flush()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads the frames.
type decoder struct {
	r   *bufio.Reader
	buf []byte
	sum hash.Hash
}

// errDamaged is a stream that does not parse: damaged, or not a backup.
var errDamaged = errors.New("the backup's data is damaged (it does not parse)")

func newDecoder(r io.Reader) (*decoder, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<20), sum: sha256.New()}
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(d.r, head); err != nil || string(head) != magic {
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, fmt.Errorf("the backup's data is not a strongroom backup (format %q)", magic[:len(magic)-1])
	}
	return d, nil
}

// next reads a frame: its tag and payload (valid until the next call).
func (d *decoder) next() (byte, []byte, error) {
	tag, err := d.r.ReadByte()
	if err != nil {
		return 0, nil, noEOF(err)
	}
	n, err := binary.ReadUvarint(d.r)
	if err != nil {
		return 0, nil, noEOF(err)
	}
	if n > maxFrame {
		return 0, nil, errDamaged
	}
	if cap(d.buf) < int(n) {
		d.buf = make([]byte, n)
	}
	d.buf = d.buf[:n]
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		return 0, nil, noEOF(err)
	}
	switch tag {
	case frameTable:
		d.sum.Reset()
		d.sum.Write(d.buf)
	case frameRow, frameEnd:
		d.sum.Write(d.buf)
	case frameDone:
	default:
		return 0, nil, errDamaged
	}
	return tag, d.buf, nil
}

// noEOF reports a stream that ends early as truncated.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the backup's data ends early (truncated)")
	}
	return err
}

// checksum is the current table's checksum so far.
func (d *decoder) checksum() [32]byte {
	var s [32]byte
	copy(s[:], d.sum.Sum(nil))
	return s
}

// parseTable reads a 'T' payload.
func parseTable(p []byte) (store.Table, error) {
	var t store.Table
	name, p, ok := readString(p)
	if !ok {
		return t, errDamaged
	}
	t.Name = name
	n, k := binary.Uvarint(p)
	if k <= 0 || n > 1000 {
		return t, errDamaged
	}
	p = p[k:]
	for range n {
		var col string
		if col, p, ok = readString(p); !ok || len(p) < 1 {
			return t, errDamaged
		}
		t.Columns = append(t.Columns, store.Column{Name: col, Kind: p[0]})
		p = p[1:]
	}
	if len(p) != 0 {
		return t, errDamaged
	}
	return t, nil
}

// parseRow reads an 'R' payload into vals (len = the table's columns),
// checking each value against its column's kind.
func parseRow(p []byte, cols []store.Column, vals []any) error {
	for i, col := range cols {
		if len(p) < 1 {
			return errDamaged
		}
		tag := p[0]
		p = p[1:]
		switch {
		case tag == valNull:
			vals[i] = nil
		case tag == valInt && col.Kind == store.KindInt:
			v, k := binary.Varint(p)
			if k <= 0 {
				return errDamaged
			}
			vals[i], p = v, p[k:]
		case tag == valText && col.Kind == store.KindText:
			s, rest, ok := readString(p)
			if !ok {
				return errDamaged
			}
			vals[i], p = s, rest
		case tag == valBytes && col.Kind == store.KindBytes:
			n, k := binary.Uvarint(p)
			if k <= 0 || n > uint64(len(p)-k) {
				return errDamaged
			}
			vals[i], p = append(make([]byte, 0, n), p[k:k+int(n)]...), p[k+int(n):] // never nil: an empty value is not NULL
		default:
			return errDamaged
		}
	}
	if len(p) != 0 {
		return errDamaged
	}
	return nil
}

func readString(p []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return "", nil, false
	}
	return string(p[k : k+int(n)]), p[k+int(n):], true
}

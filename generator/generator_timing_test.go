package generator

import (
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// BenchmarkSend measures one request on the send path against an in-memory
// server (client and server share the process).
func BenchmarkSend(b *testing.B) {
	for _, v := range []struct {
		name string
		edit func(o *Options)
	}{
		{"json", nil},
		{"msgpack", func(o *Options) { o.Format = FormatMsgpack }},
	} {
		b.Run(v.name, func(b *testing.B) {
			w := sendWorker(b, v.edit)
			b.ReportAllocs()
			n := uint64(0)
			for b.Loop() {
				w.send(n, time.Since(w.g.start))
				n++
			}
		})
	}
}

// BenchmarkRunCapacity runs the whole generator in capacity mode over 8
// in-memory connections.
func BenchmarkRunCapacity(b *testing.B) {
	ln := quietServer(b)
	b.ReportAllocs()
	o := NewOptions()
	o.URL = "http://hookbench.test/events"
	o.Dial = func(string) (net.Conn, error) { return ln.Dial() }
	o.Rate = Constant{Rate: 0}
	o.Count = uint64(b.N)
	o.Connections = 8
	g, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	s, err := g.Run(b.Context())
	if err != nil || s.OK != uint64(b.N) {
		b.Fatalf("%+v %v", s, err)
	}
}

func BenchmarkTemplate(b *testing.B) {
	tmpl, err := ParseTemplate(`{"type":"{{type}}","seq":{{seq}},"at":"{{now rfc3339}}","u":"{{uuid}}","n":{{rand_int 1 9}},"c":"{{pick a|b}}"}`)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{FormatJSON, FormatMsgpack} {
		b.Run(f, func(b *testing.B) {
			var enc bodyEncoder
			if f == FormatJSON {
				enc, _ = newJSONBody(tmpl, DefaultIDField, 0)
			} else {
				enc, _, _ = compileMsgpack(tmpl, DefaultIDField, 0)
			}
			ev := &Event{ID: []byte("hb-0123abcd-1"), Type: "order.created", Time: time.Now(), Rand: rand.New(rand.NewPCG(1, 2))}
			dst, scratch := make([]byte, 0, 512), make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				ev.Seq++
				dst = enc.appendBody(dst[:0], &scratch, ev)
			}
			b.SetBytes(int64(len(dst)))
		})
	}
}

func BenchmarkPace(b *testing.B) {
	for _, p := range []Pacer{
		Constant{Rate: 40000},
		Linear{From: 100, To: 40000, Over: time.Minute},
		Steps{{1000, time.Second}, {2000, time.Second}, {4000, time.Hour}},
		NewPoisson(40000, 1),
	} {
		b.Run(p.(interface{ String() string }).String(), func(b *testing.B) {
			b.ReportAllocs()
			n := uint64(0)
			for b.Loop() {
				p.Pace(time.Duration(n)*25*time.Microsecond, n)
				n++
			}
		})
	}
}

func BenchmarkScanID(b *testing.B) {
	body := []byte(`{"status":"queued","data":{"id":"x","list":[1,2,3]},"id":"evt_2b8c1f0e"}`)
	b.ReportAllocs()
	for b.Loop() {
		if scanID(body) == nil {
			b.Fatal("no id")
		}
	}
}

// BenchmarkPreciseSleep100us reports how long a 100 µs precise sleep takes
// (ns/op), and that it does not allocate.
func BenchmarkPreciseSleep100us(b *testing.B) {
	pt, err := newPreciseTimer()
	if err != nil {
		b.Skip(err)
	}
	defer pt.close()
	b.ReportAllocs()
	for b.Loop() {
		pt.sleep(100 * time.Microsecond)
	}
}

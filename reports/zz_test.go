package reports
import ("testing";"syscall";"time")
func cpuNow() time.Duration { var ru syscall.Rusage; syscall.Getrusage(syscall.RUSAGE_SELF, &ru); return time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) }
func BenchmarkAB(b *testing.B){
 data, _ := benchTrace(); recs := decodeAll(b, data)
 b.Run("add", func(b *testing.B){ c0:=cpuNow(); for b.Loop() { r,_:=New(NewOptions()); for i := range recs { r.Add(&recs[i]) }; r.Close() }; b.ReportMetric(float64(len(recs))*float64(b.N)/(cpuNow()-c0).Seconds(), "rec/cpu-s") })
 b.Run("batch", func(b *testing.B){ c0:=cpuNow(); for b.Loop() { r,_:=New(NewOptions()); for i := 0; i < len(recs); i += 512 { r.AddBatch(recs[i:min(i+512,len(recs))]) }; r.Close() }; b.ReportMetric(float64(len(recs))*float64(b.N)/(cpuNow()-c0).Seconds(), "rec/cpu-s") })
}

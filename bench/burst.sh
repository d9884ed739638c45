#!/bin/sh
# The burst experiments (paper Fig. 8, 9, 10), inside the test VM on a
# one-queue software NIC: for every x, every WireCAP-B(M,R) and every
# burst length P, `wirecap handler` (basic mode, queue 0) processes a
# burst of P 64-byte packets that wirecap-softnic-gen injects as fast as
# the kernel takes them. Each run leaves, under /results:
#   burst-x<X>-M<M>-R<R>-P<P>-<rep>.json   the handler's results (Pp, drops)
#   burst-x<X>-M<M>-R<R>-P<P>-<rep>.gen    the generator's line (Pm)
#
# Environment (set by bench/run.sh):
#   BENCH_X        x values                       e.g. "0 300"
#   BENCH_CONFIGS  M:R pairs                      e.g. "256:4 256:16"
#   BENCH_P        burst lengths                  e.g. "1000 10000"
#   BENCH_REPEAT   runs per point                 e.g. 3
set -u
for x in $BENCH_X; do
	for mr in $BENCH_CONFIGS; do
		m=${mr%%:*} r=${mr##*:}
		for p in $BENCH_P; do
			rep=1
			while [ $rep -le "$BENCH_REPEAT" ]; do
				name=/results/burst-x$x-M$m-R$r-P$p-$rep
				rm -f /tmp/done
				wirecap handler -q 0 -x "$x" -M "$m" -R "$r" \
					--until-file /tmp/done --idle-ms 300 \
					--json "$name.json" >"$name.txt" 2>&1 &
				hp=$!
				# attached before the burst
				i=0
				while [ $i -lt 50 ] && ! grep -qx 1 \
				    /sys/class/wirecap/"$WIRECAP_IF"-q0/attached \
				    2>/dev/null; do
					sleep 0.1
					i=$((i + 1))
				done
				wirecap-softnic-gen --if "$WIRECAP_IF" --queue 0 \
					--count "$p" >"$name.gen" 2>&1
				touch /tmp/done
				wait $hp
				rep=$((rep + 1))
			done
		done
	done
done

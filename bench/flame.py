#!/usr/bin/env python3
"""Fold `perf script` call chains, classify them and draw flame graphs.

    flame.py fold PERF.SCRIPT              folded stacks on stdout
    flame.py svg PERF.SCRIPT|FOLDED OUT.svg [TITLE]
    flame.py classify PERF.SCRIPT          samples per component

With a perf script file, modules.txt beside it (the guest's /proc/modules,
bench/profile.sh) tells our modules' frames from the kernel's.

Input: the text of `perf script -F comm,tid,cpu,time,ip,sym,dso` with
call chains (perf record -g), as bench/profile.sh leaves it: one header
line per sample ("comm tid [cpu] time:"), then one line per frame, leaf
first ("addr sym (dso)"), then an empty line.

Folded: one line per distinct stack, root first, "comm;f1;...;leaf N"
(N samples). A frame is named "sym" in the kernel proper, "sym [mod]" in
a kernel module, "sym (dso)" in user space (dso: the file's name), so the
kind of code stays readable in the folded text and colours the graph.

Classify: every sample goes to one component (COMPONENTS, the one place
that says what is what): the call chain is walked from the leaf towards
the root, and the first frame that a rule claims names the component;
frames no rule claims (locks, memcpy, the slab allocator, ...) are
charged to the caller that a rule does claim. A CPU halted in the idle
loop is IDLE (left out of the CPU time); perf, its sleep and the sampler
loop of bench/profile.sh are MEASURE (left out too, shown apart).

The SVG is drawn here, self-contained: one rectangle per frame, its
width the samples under it, the root at the bottom; hovering shows the
frame, its samples and share (<title>). Kernel proper: orange; our
modules (wirecap*): red; other kernel modules: yellow; user space: blue
(ours) or green (libraries). Samples of IDLE are left out of the graph.
"""
import collections
import html
import os
import re
import sys

HEAD = re.compile(r"^(\S.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s*$")
FRAME = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")

# The idle loop's halt: where a sample lands while a vCPU has nothing to
# do (HLT, or polling). Not CPU time.
HALT = {"native_safe_halt", "pv_native_safe_halt", "default_idle",
        "amd_e400_idle", "arch_cpu_idle", "cpu_idle_poll", "poll_idle",
        "mwait_idle", "intel_idle", "acpi_safe_halt", "acpi_idle_do_entry",
        "default_idle_call", "safe_halt"}
IDLE = "idle (halted)"
MEASURE = "measurement (perf, sampler, /init)"
# Processes of the measurement itself (bench/profile.sh).
# busybox runs its applets as "exe" (/proc/self/exe): the sampler loop's
# and /init's.
MEASURE_COMMS = {"perf", "perf-exec", "sleep", "sh", "cat", "cut", "exe"}

# (component, where, pattern): the first rule whose pattern matches a
# frame names its component; where is "sym" (the symbol, kernel or
# user), "mod" (a kernel module's name) or "dso" (a user file's name).
# The order matters: more specific rules first.
COMPONENTS = [
    # the clocksource: HPET under TCG (the TSC is not trusted there), an
    # emulated device read on every clock read
    ("clock reads (ktime_get*, read_hpet)", "sym",
     r"^(read_hpet|read_tsc|ktime_get.*|__ktime_get.*|posix_get_.*|"
     r"__x64_sys_clock_gettime|__do_sys_clock_gettime|"
     r"do_clock_gettime|ktime_mono_to_any)$"),
    ("scheduler (switch, wake-up)", "sym",
     r"^(__?schedule|schedule_.*|finish_task_switch.*|context_switch|"
     r"__switch_to.*|switch_mm.*|pick_next_task.*|put_prev_task.*|"
     r"set_next_entity|try_to_wake_up|ttwu_.*|wake_up_.*|__wake_up.*|"
     r"enqueue_task.*|dequeue_task.*|activate_task|update_curr.*|"
     r"update_load_avg|select_task_rq.*|check_preempt.*|resched_curr|"
     r"sched_.*|psi_.*|io_schedule.*|do_nanosleep|hrtimer_nanosleep|"
     r"autoremove_wake_function|default_wake_function|prepare_to_wait.*|"
     r"finish_wait|newidle_balance|load_balance|rebalance_domains|"
     r"raw_spin_rq_lock.*)$"),
    ("wirecap core (wirecap.ko)", "mod", r"^wirecap$"),
    ("NIC driver RX (wirecap_virtio / virtio_net)", "mod",
     r"^(wirecap_virtio|virtio_net|e1000e)$"),
    ("virtio core (vring, virtio_pci)", "sym",
     r"^(vring_.*|virtqueue_.*|virtio_.*|vp_.*|detach_buf_split|"
     r"detach_buf_packed)$"),
    ("virtio core (vring, virtio_pci)", "mod",
     r"^(virtio_ring|virtio|virtio_pci.*)$"),
    ("AF_PACKET (tpacket_rcv, ring)", "sym",
     r"^(tpacket_.*|packet_.*|__packet_.*|prb_.*|run_filter|"
     r"fanout_.*|bpf_prog_run.*)$"),
    ("io_uring", "sym",
     r"^(io_.*|__io_.*|__do_sys_io_uring_.*|__x64_sys_io_uring_.*|"
     r"tctx_task_work.*|task_work_run)$"),
    ("eventfd", "sym", r"^(eventfd_.*|__eventfd_.*)$"),
    ("poll / epoll", "sym",
     r"^(do_sys_poll|do_poll.*|__x64_sys_poll|__x64_sys_ppoll|"
     r"__do_sys_ppoll|ep_.*|do_epoll_.*|__x64_sys_epoll_.*|sock_poll|"
     r"poll_.*|__pollwait)$"),
    ("net core (skb, NAPI, GRO)", "sym",
     r"^(__?netif_.*|netif_.*|napi_.*|__napi_.*|net_rx_action|gro_.*|"
     r"dev_gro_receive|skb_.*|__skb_.*|kfree_skb.*|consume_skb|"
     r"__alloc_skb|__build_skb.*|build_skb.*|__napi_build_skb|"
     r"eth_type_trans|page_pool_.*|__page_pool_.*|inet_gro_receive|"
     r"udp4?_gro_receive|udp_.*|ip_.*|__ip_.*|deliver_skb|"
     r"__netdev_alloc_skb|netdev_.*|rps_.*|enqueue_to_backlog|"
     r"process_backlog|sock_def_readable|sk_.*|__sk_.*|"
     r"skb_release_.*|kfree_skbmem|dst_release)$"),
    ("interrupts, softirq", "sym",
     r"^(__do_softirq|handle_softirqs|do_softirq.*|__irq_exit_rcu|"
     r"irq_exit_rcu|irq_enter_rcu|__common_interrupt|common_interrupt|"
     r"asm_common_interrupt|handle_edge_irq|handle_irq_event.*|"
     r"__handle_irq_event_percpu|__sysvec_.*|sysvec_.*|asm_sysvec_.*|"
     r"run_ksoftirqd|smpboot_thread_fn|vring_interrupt|msi_.*|"
     r"apic_.*|native_apic_.*|x2apic_.*|flush_smp_call_function_queue|"
     r"__flush_smp_call_function_queue|generic_smp_call_function.*)$"),
    ("timers, tick", "sym",
     r"^(hrtimer_.*|__hrtimer_.*|tick_.*|update_process_times|"
     r"scheduler_tick|run_timer_softirq|__run_timers|call_timer_fn|"
     r"timekeeping_.*|clockevents_.*|lapic_next_.*|"
     r"rcu_.*|__rcu_.*|account_.*|irqtime_.*)$"),
    ("page faults, memory", "sym",
     r"^(asm_exc_page_fault|exc_page_fault|do_user_addr_fault|"
     r"handle_mm_fault|__handle_mm_fault|do_anonymous_page|"
     r"do_fault|filemap_.*|unmap_.*|zap_.*|tlb_.*)$"),
    ("syscall entry, exit", "sym",
     r"^(entry_SYSCALL_64.*|do_syscall_64|syscall_exit_to_user_mode.*|"
     r"exit_to_user_mode.*|syscall_enter_from_user_mode.*|"
     r"__x64_sys_.*|__do_sys_.*|ksys_.*|__fget_light|__fdget.*|fdget.*|"
     r"fput|syscall_return_via_sysret|entry_SYSRETQ.*|"
     r"__entry_text_start|error_entry|error_return)$"),
    ("handler (wirecap-pcap-handler)", "dso", r"^wirecap-pcap-handler$"),
    ("libwirecap + pcap shim (libwirecap-pcap.so)", "dso",
     r"^libwirecap.*\.so.*$"),
    ("libpcap (libpcap.so)", "dso", r"^libpcap\.so.*$"),
    ("liburing (liburing.so)", "dso", r"^liburing\.so.*$"),
    ("libxdp, libbpf", "dso", r"^lib(xdp|bpf)\.so.*$"),
    ("libc", "dso", r"^(libc|ld-linux.*)\.so.*$"),
]
RULES = [(c, w, re.compile(p)) for c, w, p in COMPONENTS]
IDLE_LOOP = "idle loop (entry, exit)"
OTHER_KERNEL = "kernel, other"
OTHER_USER = "user space, other"
# The report's order.
ORDER = list(dict.fromkeys([c for c, _, _ in COMPONENTS] +
                           [IDLE_LOOP, OTHER_KERNEL, OTHER_USER]))


class Sample:
    __slots__ = ("comm", "tid", "cpu", "time", "frames")

    def __init__(self, comm, tid, cpu, time):
        self.comm, self.tid, self.cpu, self.time = comm, tid, cpu, time
        self.frames = []	# (sym, kind, where), leaf first


def load_modules(path):
    """[(start, end, name)] of the guest's /proc/modules (read as root,
    with addresses), or [] without that file."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 6 and p[5].startswith("0x"):
                    start = int(p[5], 16)
                    out.append((start, start + int(p[1]), p[0]))
    except OSError:
        pass
    return out


def frame_of(sym, dso, addr=0, modules=()):
    """(sym, kind, where): kind "k" (kernel proper), "m" (module, where:
    its name) or "u" (user, where: the file's name). perf files the
    symbols of modules it has no file for under [kernel.kallsyms]: those
    are told by address, with modules (load_modules())."""
    if sym == "[unknown]":
        sym = "?"
    sym = re.sub(r"\.(isra|constprop|part|cold|lto_priv)\.\d+$", "", sym)
    sym = re.sub(r"\.(isra|constprop|part|cold)(\.\d+)?", "", sym)
    if dso == "[kernel.kallsyms]":
        for start, end, name in modules:
            if start <= addr < end:
                return sym, "m", name
        return sym, "k", ""
    if dso.startswith("[") and dso.endswith("]"):
        if dso in ("[unknown]", "[vdso]"):
            return sym, "u", dso
        return sym, "m", dso[1:-1]
    return sym, "u", dso.rsplit("/", 1)[-1]


def parse(path, modules=()):
    """The samples of a perf script file; modules: load_modules()."""
    samples = []
    cur = None
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                cur = None
                continue
            m = HEAD.match(line)
            if m and not line[0].isspace():
                cur = Sample(m.group(1).strip(), int(m.group(2)),
                             int(m.group(3)), float(m.group(4)))
                samples.append(cur)
                continue
            m = FRAME.match(line)
            if m and cur is not None:
                cur.frames.append(frame_of(m.group(2), m.group(3),
                                           int(m.group(1), 16), modules))
    return samples


def label(fr):
    sym, kind, where = fr
    if kind == "k":
        return sym
    if kind == "m":
        return f"{sym} [{where}]"
    return f"{sym} ({where})"


def is_irq(fr):
    return fr[1] == "k" and re.match(
        r"^(asm_common_interrupt|asm_sysvec_.*|__do_softirq|"
        r"handle_softirqs|run_ksoftirqd)$", fr[0]) is not None


def classify(s):
    """The component of a sample (see the module's text). A sample taken
    in an interrupt or softirq goes by its frames whatever process it
    interrupted; one in process context of the measurement's own
    processes is MEASURE."""
    if s.frames and s.frames[0][1] == "k" and s.frames[0][0] in HALT:
        return IDLE
    if not any(is_irq(fr) for fr in s.frames) and \
            (s.comm in MEASURE_COMMS or s.comm.startswith("perf")):
        return MEASURE
    for sym, kind, where in s.frames:
        for comp, what, rx in RULES:
            if kind == "m" and what == "mod" and rx.match(where):
                return comp
        for comp, what, rx in RULES:
            if kind == "u" and what == "dso" and rx.match(where):
                return comp
            if kind != "u" and what == "sym" and rx.match(sym):
                return comp
    if s.comm == "swapper" and not any(is_irq(fr) for fr in s.frames):
        return IDLE_LOOP
    if s.frames and s.frames[0][1] == "u":
        return OTHER_USER
    return OTHER_KERNEL


def fold(samples, keep=lambda s: True):
    """Counter of folded stacks (root first, the comm at the root)."""
    out = collections.Counter()
    for s in samples:
        if not keep(s):
            continue
        comm = re.sub(r"[/:]\d+(-.*)?$", "", s.comm) or s.comm
        parts = [comm] + [label(fr) for fr in reversed(s.frames)]
        out[";".join(p.replace(";", ":") for p in parts)] += 1
    return out


def busy(s):
    return classify(s) not in (IDLE, MEASURE)


def read_folded(path):
    out = collections.Counter()
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if stack and n.isdigit():
                out[stack] += int(n)
    return out


def colour(name, depth):
    """Fill colour by kind of code; a little variation by name."""
    h = sum(name.encode()) % 40
    if depth == 0:
        return "rgb(200,200,200)"
    if name.endswith(")"):
        if "wirecap" in name:
            return f"rgb({60 + h // 2},{120 + h},{220})"
        return f"rgb({80 + h},{190 + h // 2},{90})"
    m = re.search(r"\[([^\]]+)\]$", name)
    if m:
        if m.group(1).startswith("wirecap"):
            return f"rgb({215 + h // 2},{50 + h},{50})"
        return f"rgb({225},{190 + h // 2},{60 + h})"
    return f"rgb({230 + h // 4},{120 + h * 2},{40})"


def svg(folded, title, width=1200, row=16):
    """A flame graph of a Counter of folded stacks, as SVG text."""
    tree = {"n": 0, "kids": {}}
    for stack, n in folded.items():
        node = tree
        node["n"] += n
        for part in stack.split(";"):
            node = node["kids"].setdefault(part, {"n": 0, "kids": {}})
            node["n"] += n
    total = tree["n"] or 1

    def depth(node):
        return 1 + max((depth(k) for k in node["kids"].values()), default=0)
    rows = depth(tree)
    top = 40
    height = top + rows * row + 10
    scale = (width - 20) / total
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="monospace" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="20" font-size="14">{html.escape(title)}'
           '</text>',
           f'<text x="10" y="34" fill="#555">{total} samples; width: '
           'samples; orange: kernel, red: wirecap modules, yellow: other '
           'modules, blue: our user code, green: libraries</text>']

    def draw(name, node, x, d):
        w = node["n"] * scale
        if w < 0.3:
            return
        y = height - 10 - (d + 1) * row
        shown = name if d else "all"
        tip = (f"{shown}: {node['n']} samples, "
               f"{100 * node['n'] / total:.2f}%")
        out.append(f'<g><title>{html.escape(tip)}</title>'
                   f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" '
                   f'height="{row - 1}" fill="{colour(shown, d)}" '
                   'rx="1"/>')
        chars = int((w - 4) / 6.6)
        if chars >= 3:
            text = shown if len(shown) <= chars else shown[:chars - 2] + ".."
            out.append(f'<text x="{x + 2:.2f}" y="{y + row - 4}">'
                       f'{html.escape(text)}</text>')
        out.append("</g>")
        for kname, kid in sorted(node["kids"].items()):
            draw(kname, kid, x, d + 1)
            x += kid["n"] * scale
    draw("", tree, 10, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def parse_run(path):
    """parse() with the modules.txt beside the file, if any."""
    return parse(path, load_modules(
        os.path.join(os.path.dirname(path) or ".", "modules.txt")))


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "fold":
        for stack, n in sorted(fold(parse_run(a[1])).items()):
            print(f"{stack} {n}")
        return 0
    if len(a) in (3, 4) and a[0] == "svg":
        with open(a[1], errors="replace") as f:
            head = f.readline()
        if HEAD.match(head) or not head.strip():
            folded = fold(parse_run(a[1]), busy)
        else:
            folded = read_folded(a[1])
        with open(a[2], "w") as f:
            f.write(svg(folded, a[3] if len(a) == 4 else a[1]))
        return 0
    if len(a) == 2 and a[0] == "classify":
        samples = parse_run(a[1])
        c = collections.Counter(classify(s) for s in samples)
        for comp in ORDER + [IDLE, MEASURE]:
            if c[comp]:
                print(f"{c[comp]:8d}  {comp}")
        print(f"{len(samples):8d}  all")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Pure parsers on recorded/transcribed fixtures from machines unlike this one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from accel.hardware import caches, cgroups, cpu, gpu, host, memory, perf, simd
from accel.hardware.report import SimdInfo
from accel.hardware.sysread import format_cpu_list, parse_cpu_list
from hypothesis import given
from hypothesis import strategies as st

FIXTURES = Path(__file__).parent / "fixtures"
GIB = 1024**3


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fake_root(tmp_path: Path, files: dict[str, str]) -> str:
    for rel, content in files.items():
        path = tmp_path / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return str(tmp_path)


# --- CPU identity -------------------------------------------------------------------------


def test_intel_cpuinfo_model_topology_and_nominal_clock():
    blocks = cpu.parse_cpuinfo(text("cpuinfo_intel_xeon_gold_6248_avx512.txt"))
    assert len(cpu.processors(blocks)) == 4
    assert cpu.first_value(blocks, "model name") == "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"
    assert cpu.count_topology(blocks) == (4, 2)  # 2 cores on each of 2 sockets
    assert cpu.parse_frequency_from_model("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz") == 2500.0
    assert cpu.parse_frequency_from_model("Intel(R) Xeon(R) Processor") is None


def test_read_cpu_on_intel_tree(tmp_path):
    root = fake_root(tmp_path, {"/proc/cpuinfo": text("cpuinfo_intel_xeon_gold_6248_avx512.txt")})
    info = cpu.read_cpu(root, use_psutil=False)
    assert info.vendor == "GenuineIntel"
    assert (info.family, info.model, info.stepping) == ("6", "85", "7")
    assert (info.physical_cores, info.logical_cores, info.sockets) == (4, 4, 2)
    assert info.base_mhz == 2500.0
    assert info.current_mhz == 1000.0  # first processor's "cpu MHz"
    assert info.max_mhz is None and "cpufreq" in info.reasons["max_mhz"]
    assert info.governor is None and "scaling_governor" in info.reasons["governor"]


def test_arm_cpuinfo_without_model_name_is_named_from_part_id(tmp_path):
    root = fake_root(tmp_path, {"/proc/cpuinfo": text("cpuinfo_graviton3_neoverse_v1_sve.txt")})
    info = cpu.read_cpu(root, use_psutil=False)
    assert info.model_name == "ARM Neoverse-V1"
    assert info.vendor == "ARM"
    assert info.logical_cores == 4
    # Arm cpuinfo has no core ids; the parser must say so rather than guess.
    assert info.physical_cores is None and "core ids" in info.reasons["physical_cores"]


def test_arm_model_name_falls_back_to_raw_ids():
    blocks = [{"processor": "0", "CPU implementer": "0x41", "CPU part": "0xfff"}]
    assert cpu.arm_model_name(blocks) == "ARM part 0xfff"


def test_lscpu_json_flattening():
    sample = json.dumps(
        {
            "lscpu": [
                {"field": "Architecture:", "data": "aarch64"},
                {
                    "field": "Vendor ID:",
                    "data": "ARM",
                    "children": [{"field": "Model name:", "data": "Neoverse-N1"}],
                },
            ]
        }
    )
    assert cpu.parse_lscpu_json(sample) == {
        "Architecture": "aarch64",
        "Vendor ID": "ARM",
        "Model name": "Neoverse-N1",
    }


# --- SIMD ---------------------------------------------------------------------------------


def test_intel_avx512_flags():
    flags = cpu.cpuinfo_flags(cpu.parse_cpuinfo(text("cpuinfo_intel_xeon_gold_6248_avx512.txt")))
    features = simd.cpu_simd_features(flags)
    for name in ("SSE3", "SSE4.2", "AVX2", "FMA3", "AVX512F", "AVX512BW", "AVX512VNNI"):
        assert name in features
    assert not any(f.startswith("AMX") for f in features)  # Cascade Lake has no AMX
    assert "AVX512FP16" not in features
    assert simd.widest_simd(features) == ("AVX-512", 512)


def test_arm_neon_and_sve_flags():
    flags = cpu.cpuinfo_flags(cpu.parse_cpuinfo(text("cpuinfo_graviton3_neoverse_v1_sve.txt")))
    assert "sve" in flags
    features = simd.cpu_simd_features(flags)
    assert features[:2] == ["NEON", "ASIMD"]
    assert "SVE" in features and "SVE2" not in features
    assert "ASIMD-DOTPROD" in features and "I8MM" in features
    assert not any(f.startswith(("SSE", "AVX")) for f in features)
    # SVE's vector length is implementation-defined: reported as unknown, not guessed.
    assert simd.widest_simd(features) == ("SVE", None)


def test_avx2_only_cpu():
    assert simd.widest_simd(simd.cpu_simd_features(["sse", "sse2", "avx", "avx2", "fma"])) == (
        "AVX2",
        256,
    )


@pytest.mark.parametrize(
    ("names", "bits"),
    [
        (["SSE", "SSE2", "SSE3"], 128),
        (["X86_V2"], 128),
        (["X86_V3"], 256),
        (["AVX512_SKX"], 512),
        (["X86_V2", "X86_V4"], 512),
        (["NEON", "NEON_FP16", "ASIMD"], 128),
        ([], None),
    ],
)
def test_numpy_target_bits(names, bits):
    assert simd.numpy_target_bits(names) == bits


def test_llvm_vector_bits_reads_only_enabled_features():
    assert simd.llvm_vector_bits(["+avx512f", "+avx2"]) == 512
    assert simd.llvm_vector_bits(["-avx512f", "+avx2", "+avx"]) == 256
    assert simd.llvm_vector_bits(["+neon"]) == 128


def test_gap_note_when_cpu_is_wider_than_numpy_baseline():
    info = SimdInfo(
        cpu_features=["SSE", "AVX2", "AVX512F"],
        cpu_widest="AVX-512",
        cpu_vector_bits=512,
        numpy_baseline=["SSE", "SSE2", "SSE3"],
        numpy_dispatch=["SSE41", "AVX2", "AVX512F", "AVX512_SKX"],
        numpy_dispatch_active=["SSE41", "AVX2", "AVX512F", "AVX512_SKX"],
        numpy_baseline_bits=128,
        llvm_cpu_name="skylake-avx512",
        llvm_vector_bits=512,
    )
    notes = simd.describe_gaps(info)
    assert any(
        "AVX-512" in n and "SSE SSE2 SSE3" in n and "AVX512F" in n and "SSE41" not in n
        for n in notes
    )
    assert any("numba compiles for the host" in n for n in notes)


def test_no_gap_note_when_numpy_baseline_matches_cpu():
    info = SimdInfo(
        cpu_features=["AVX2"],
        cpu_widest="AVX2",
        cpu_vector_bits=256,
        numpy_baseline=["X86_V3"],
        numpy_dispatch=[],
        numpy_dispatch_active=[],
        numpy_baseline_bits=256,
        llvm_cpu_name="haswell",
        llvm_vector_bits=256,
    )
    assert simd.describe_gaps(info) == []


def test_gap_note_when_llvm_is_narrower_than_cpu():
    info = SimdInfo(
        cpu_widest="AVX-512", cpu_vector_bits=512, llvm_cpu_name="generic", llvm_vector_bits=128
    )
    assert any("NUMBA_CPU_NAME" in n for n in simd.describe_gaps(info))


# --- cgroups and usable CPUs --------------------------------------------------------------


def test_cgroup_quota_parsers():
    assert cgroups.parse_cpu_max("200000 100000") == 2.0
    assert cgroups.parse_cpu_max("max 100000") is None
    assert cgroups.parse_cpu_max("50000 100000") == 0.5
    assert cgroups.parse_cfs_quota("-1", "100000") is None
    assert cgroups.parse_cfs_quota("150000\n", "100000\n") == 1.5
    assert cgroups.parse_memory_limit("max") is None
    assert cgroups.parse_memory_limit("9223372036854771712") is None  # v1 "unlimited"
    assert cgroups.parse_memory_limit("2147483648") == 2 * GIB


@pytest.mark.parametrize(
    ("affinity", "quota", "usable"),
    [(64, 2.0, 2), (64, None, 64), (8, 1.5, 2), (2, 4.0, 2), (4, 0.5, 1)],
)
def test_usable_cpus(affinity, quota, usable):
    assert cgroups.compute_usable_cpus(affinity, quota) == usable


def test_container_v2_with_64_cpus_in_affinity_says_2(tmp_path):
    info = host.read_host(str(FIXTURES / "container_v2_root"), affinity=set(range(64)))
    assert len(info.affinity_cpus) == 64
    assert info.cgroup_cpu_quota == 2.0
    assert info.cgroup_cpu_source == "/sys/fs/cgroup/cpu.max"
    assert info.usable_cpus == 2


def test_parent_cgroup_quota_binds_from_host_view():
    root = str(FIXTURES / "container_v2_host_view_root")
    quota, source, why = cgroups.read_cpu_quota(root)
    assert (quota, source, why) == (3.5, "/sys/fs/cgroup/system.slice/cpu.max", None)
    assert host.read_host(root, affinity=set(range(64))).usable_cpus == 4
    assert cgroups.read_memory_limit(root) is None  # "max" everywhere


def test_container_v1_quota_and_memory_limit():
    root = str(FIXTURES / "container_v1_root")
    assert cgroups.read_cpu_quota(root)[:2] == (1.5, "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us")
    assert host.read_host(root, affinity=set(range(16))).usable_cpus == 2
    assert cgroups.read_memory_limit(root) == 2 * GIB
    assert cgroups.read_memory_limit(str(FIXTURES / "container_v2_root")) == 4 * GIB


def test_cgroup_dirs_on_a_hybrid_layout():
    mountinfo = (
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    )
    own = "4:memory:/process_api/149d\n1:cpu:/\n0::/\n"
    assert cgroups.cgroup_dirs(mountinfo, own, "cpu") == [
        cgroups.CgroupDir(1, "/sys/fs/cgroup/cpu"),
        cgroups.CgroupDir(2, "/sys/fs/cgroup/unified"),
    ]
    assert cgroups.cgroup_dirs(mountinfo, own, "memory")[:2] == [
        cgroups.CgroupDir(1, "/sys/fs/cgroup/memory/process_api/149d"),
        cgroups.CgroupDir(1, "/sys/fs/cgroup/memory/process_api"),
    ]


def test_os_release_and_virtualisation():
    assert host.parse_os_release('NAME="x"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n') == "Ubuntu 24.04 LTS"
    assert host.parse_os_release("NAME=x\n") is None
    assert host.detect_virtualization({"hypervisor"}, "KVM", None) == "KVM guest"
    assert host.detect_virtualization(set(), None, None) is None
    assert "container" in host.detect_virtualization(set(), None, "/.dockerenv present")


# --- caches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "nbytes"),
    [
        ("48K", 49152),
        ("491520K", 480 * 1024**2),
        ("1M", 1024**2),
        ("65536", 65536),
        ("32 MiB", 32 * 1024**2),
    ],
)
def test_parse_size(size, nbytes):
    assert caches.parse_size(size) == nbytes


def test_lscpu_cache_json():
    levels = caches.parse_lscpu_caches(text("lscpu_caches_kvm_sapphirerapids.json"))
    by_name = {c.name: c for c in levels}
    assert set(by_name) == {"L1d", "L1i", "L2", "L3"}
    assert (by_name["L1d"].size_bytes, by_name["L1d"].instances, by_name["L1d"].associativity) == (
        48 * 1024,
        2,
        12,
    )
    assert (by_name["L3"].size_bytes, by_name["L3"].instances) == (480 * 1024**2, 1)
    assert by_name["L2"].line_bytes == 64


def test_sysfs_caches_two_sockets_count_instances(tmp_path):
    files = {}
    for cpu_id in range(4):
        socket = cpu_id // 2
        for index, (level, ctype, size, shared) in enumerate(
            [
                (1, "Data", "32K", str(cpu_id)),
                (1, "Instruction", "32K", str(cpu_id)),
                (2, "Unified", "1024K", str(cpu_id)),
                (3, "Unified", "28160K", f"{socket * 2}-{socket * 2 + 1}"),
            ]
        ):
            base = f"/sys/devices/system/cpu/cpu{cpu_id}/cache/index{index}"
            files.update(
                {
                    f"{base}/level": f"{level}\n",
                    f"{base}/type": f"{ctype}\n",
                    f"{base}/size": f"{size}\n",
                    f"{base}/coherency_line_size": "64\n",
                    f"{base}/ways_of_associativity": "11\n" if level == 3 else "8\n",
                    f"{base}/shared_cpu_list": f"{shared}\n",
                }
            )
    levels, problems = caches.read_sysfs_caches(fake_root(tmp_path, files))
    assert problems == []
    by_name = {c.name: c for c in levels}
    assert [c.name for c in levels] == ["L1d", "L1i", "L2", "L3"]
    assert by_name["L1d"].instances == 4
    assert by_name["L3"].instances == 2  # one per socket
    assert by_name["L3"].size_bytes == 28160 * 1024
    assert by_name["L3"].associativity == 11


def test_sysctl_and_getconf_fallback_parsers():
    mac = caches.parse_sysctl_caches(
        {"hw.l1dcachesize": "65536", "hw.l2cachesize": "4194304", "hw.cachelinesize": "128"}
    )
    assert [(c.name, c.size_bytes, c.line_bytes) for c in mac] == [
        ("L1d", 65536, 128),
        ("L2", 4194304, 128),
    ]
    getconf = "LEVEL1_DCACHE_SIZE   49152\nLEVEL1_DCACHE_ASSOC  12\nLEVEL1_DCACHE_LINESIZE 64\n"
    getconf += "LEVEL1_ICACHE_ASSOC\nLEVEL3_CACHE_SIZE   503316480\nLEVEL4_CACHE_SIZE\n"
    levels = caches.caches_from_getconf(caches.parse_getconf(getconf))
    assert [(c.name, c.size_bytes, c.line_bytes, c.associativity) for c in levels] == [
        ("L1d", 49152, 64, 12),
        ("L3", 480 * 1024**2, None, None),
    ]


# --- memory -------------------------------------------------------------------------------


def test_meminfo_parser_handles_node_prefix():
    assert memory.parse_meminfo("MemTotal:       24683656 kB\nHugePages_Total:       0\n") == {
        "MemTotal": 24683656 * 1024,
        "HugePages_Total": 0,
    }
    assert memory.parse_meminfo("Node 1 MemTotal:  1024 kB\n") == {"MemTotal": 1024 * 1024}


def test_numa_nodes_from_sysfs(tmp_path):
    root = fake_root(
        tmp_path,
        {
            "/sys/devices/system/node/node0/cpulist": "0-15\n",
            "/sys/devices/system/node/node0/meminfo": "Node 0 MemTotal:  1048576 kB\n",
            "/sys/devices/system/node/node1/cpulist": "16-31\n",
            "/sys/devices/system/node/node1/meminfo": "Node 1 MemTotal:  2097152 kB\n",
        },
    )
    nodes, why = memory.read_numa_nodes(root)
    assert why is None
    assert [(n.node, n.cpus, n.total_bytes) for n in nodes] == [
        (0, "0-15", GIB),
        (1, "16-31", 2 * GIB),
    ]


# --- GPUs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("generation", "width", "gbs"),
    [
        (4, 16, 16 * 16 * 128 / 130 / 8),  # the closed form: 31.5 GB/s per direction
        (3, 16, 8 * 16 * 128 / 130 / 8),
        (1, 16, 2.5 * 16 * 0.8 / 8),
        (2, 8, 5 * 8 * 0.8 / 8),
        (5, 16, 32 * 16 * 128 / 130 / 8),
        (6, 16, 64 * 16 * 242 / 256 / 8),
    ],
)
def test_pcie_bandwidth(generation, width, gbs):
    assert gpu.pcie_bandwidth_gbs(generation, width) == pytest.approx(gbs)


def test_pcie_gen4_x16_is_31_5_gbs_and_unknowns_stay_unknown():
    assert round(gpu.pcie_bandwidth_gbs(4, 16), 1) == 31.5
    assert gpu.pcie_bandwidth_gbs(None, 16) is None
    assert gpu.pcie_bandwidth_gbs(7, 16) is None
    assert gpu.pcie_bandwidth_gbs(4, 0) is None


def test_nvidia_smi_csv_with_header_and_units():
    devices, driver = gpu.parse_nvidia_smi_csv(
        text("nvidia_smi_query_a100_units.csv"), gpu.NVIDIA_SMI_FIELDS
    )
    assert driver == "535.104.05"
    assert [d.name for d in devices] == ["NVIDIA A100-SXM4-40GB"] * 2
    a, b = devices
    assert a.compute_capability == "8.0"
    assert a.memory_total_bytes == 40960 * 1024**2
    assert (a.sm_clock_max_mhz, a.memory_clock_max_mhz, a.power_limit_w) == (1410, 1215, 400)
    assert a.pcie.bandwidth_max_gbs == pytest.approx(31.5, abs=0.05)
    assert b.power_limit_w is None and "no value" in b.reasons["power_limit_w"]
    assert (b.pcie.gen_current, b.pcie.gen_max) == (1, 4)  # idle link trained down
    assert b.pcie.bandwidth_current_gbs == pytest.approx(4.0)
    assert b.uuid.startswith("GPU-9e8d")


def test_nvidia_smi_csv_noheader_nounits():
    devices, driver = gpu.parse_nvidia_smi_csv(
        text("nvidia_smi_query_rtx3090_nounits.csv"), gpu.NVIDIA_SMI_FIELDS
    )
    assert driver == "550.54.14"
    (d,) = devices
    assert (d.index, d.name, d.compute_capability) == (0, "NVIDIA GeForce RTX 3090", "8.6")
    assert d.memory_total_bytes == 24 * GIB
    assert d.pcie.width_max == 16


def test_nvidia_smi_header_cuda_version():
    assert gpu.parse_nvidia_smi_cuda_version(text("nvidia_smi_header.txt")) == "12.2"
    assert gpu.parse_nvidia_smi_cuda_version("no header") is None


def test_nvml_data_gives_pcie_bandwidth_and_sm_count(make_nvml):
    nvml = make_nvml()
    info, why = gpu.read_nvml(nvml)
    assert why == ""
    assert (info.driver_version, info.cuda_driver_version, info.source) == (
        "550.54.14",
        "12.4",
        "NVML",
    )
    (d,) = info.devices
    assert d.name == "NVIDIA GeForce RTX 4090"  # bytes from old pynvml decoded
    assert d.compute_capability == "8.9"
    assert d.sm_count == 128  # 16384 CUDA cores / 128 per SM on Ada
    assert d.power_limit_w == 450.0
    assert d.pcie.bandwidth_max_gbs == pytest.approx(16 * 16 * 128 / 130 / 8)
    assert d.pcie.bandwidth_current_gbs == pytest.approx(4.0)  # gen1 x16 at idle
    assert nvml.shutdown_called


def test_cuda_version_and_sm_count_helpers():
    assert gpu.format_cuda_version(12040) == "12.4"
    assert gpu.format_cuda_version(11080) == "11.8"
    assert gpu.sm_count_from_cores(6912, "8.0") == 108  # A100: 64 cores per SM
    assert gpu.sm_count_from_cores(10496, "8.6") == 82  # RTX 3090
    assert gpu.sm_count_from_cores(None, "8.0") is None


# --- perf ---------------------------------------------------------------------------------


def test_perf_csv_in_a_kvm_guest():
    events = perf.parse_perf_stat_csv(text("perf_stat_kvm_guest.csv"), perf.EVENTS)
    hardware = [
        "cycles",
        "instructions",
        "cache-references",
        "cache-misses",
        "branches",
        "branch-misses",
    ]
    assert all(events[e] == "not supported" for e in hardware)
    assert events["task-clock"] == events["page-faults"] == "counted"
    summary = perf.summarise(events)
    assert "task-clock, page-faults" in summary
    assert "all hardware events are <not supported>" in summary


def test_perf_csv_bare_metal_and_hybrid():
    bare = perf.parse_perf_stat_csv(text("perf_stat_baremetal_all_counted.csv"), perf.EVENTS)
    assert set(bare.values()) == {"counted"}
    assert "every requested event" in perf.summarise(bare)
    hybrid = perf.parse_perf_stat_csv(text("perf_stat_hybrid_alderlake.csv"), perf.EVENTS)
    assert set(hybrid.values()) == {"counted"}  # cpu_core counted even though cpu_atom did not


def test_perf_csv_missing_and_odd_names():
    events = perf.parse_perf_stat_csv("<not counted>,,cycles:u,0,0.00,,\n", ["cycles", "branches"])
    assert events == {"cycles": "not counted", "branches": "missing"}
    assert perf.normalise_event("cpu_core/cycles/") == "cycles"
    assert perf.parse_perf_stat_csv(text("perf_stat_paranoid_denied.txt")) == {}
    assert perf.parse_perf_version("perf version 6.1.187\n") == "6.1.187"


# --- small helpers ------------------------------------------------------------------------


@given(st.sets(st.integers(min_value=0, max_value=300), min_size=1))
def test_cpu_list_round_trip(cpus):
    assert parse_cpu_list(format_cpu_list(sorted(cpus))) == sorted(cpus)


def test_cpu_list_examples():
    assert parse_cpu_list("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]
    assert format_cpu_list([3, 0, 1, 2, 8]) == "0-3,8"

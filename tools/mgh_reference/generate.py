#!/usr/bin/env python3
"""Regenerate tests/data/mgh_reference.json from MINPACK's own test drivers.

Runs the LMDER1 and LMDIF1 test drivers of MINPACK (``ex/file17`` and
``ex/file19``) on their data (``ex/file22``: 53 runs of the 18
Moré–Garbow–Hillstrom problems), built against the vendored ``minpack_src/``
and recording full-precision results. See ``tools/mgh_reference/README.md``.

Needs ``apt-get`` with a ``deb-src`` entry (Debian's ``minpack`` source
package supplies the drivers, their data and ``lmder1.f``/``lmdif1.f``) and
``gfortran``. Nothing is written outside a temporary directory except the
output file.

Usage: python3 tools/mgh_reference/generate.py [--output PATH]
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINPACK_SRC = ROOT / "minpack_src"
DEFAULT_OUTPUT = ROOT / "tests" / "data" / "mgh_reference.json"

#: The drivers, by easy-driver name: (driver file, easy driver source).
DRIVERS = {"lmder1": ("ex/file17", "lmder1.f"), "lmdif1": ("ex/file19", "lmdif1.f")}
DATA = "ex/file22"

#: The patch applied to a copy of each driver: after the driver has printed
#: a run's results (FORMAT 70, D15.7), print them again on one line starting
#: with "MGHREF", reals as ES26.17E3 (18 significant digits, enough to
#: recover every double exactly).
ANCHOR_WRITE = "     *            FNORM1,FNORM2,NFEV,NJEV,INFO,(X(I), I = 1, N)\n"
ADDED_WRITE = (
    "            WRITE (NWRITE,75) NPROB,N,M,FACTOR,FNORM2,NFEV,NJEV,INFO,\n     *            (X(I), I = 1, N)\n"
)
ANCHOR_FORMAT = "   80 FORMAT ("
ADDED_FORMAT = "   75 FORMAT (' MGHREF', 3I5, 2ES26.17E3, 3I6, 40ES26.17E3)\n"

#: The drivers are built and run at each optimisation level; the results must
#: agree bit for bit.
OPT_LEVELS = ("-O0", "-O2", "-O3")
FFLAGS = ["-std=legacy"]
#: Added for the driver file itself (SSQFCN, SSQJAC), not for MINPACK: at -O2
#: and above gfortran 12 vectorises the loops of SSQFCN/SSQJAC that call DEXP
#: into calls of glibc's libmvec ``_ZGVbN2v_exp`` (declared SIMD-capable by
#: glibc's math-vector-fortran.h), which rounds differently from the scalar
#: ``exp`` (up to 4 ulp) and changes whole runs (Meyer, problem 10, first).
#: Without vectorisation DEXP is glibc's scalar ``exp``, as ``math.exp`` in
#: tests/mgh.py.
DRIVER_FFLAGS = ["-fno-tree-vectorize"]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fetch_debian_source(workdir):
    """Download Debian's minpack source package into `workdir`.

    Returns the paths of its upstream tarball and of its ``.dsc``.
    """
    subprocess.run(
        ["apt-get", "source", "--download-only", "minpack"], cwd=workdir, check=True, stdout=subprocess.DEVNULL
    )
    (tarball,) = Path(workdir).glob("minpack_*.orig.tar.gz")
    (dsc,) = Path(workdir).glob("minpack_*.dsc")
    return tarball, dsc


def extract(tarball, names):
    """Return {name: bytes} for the named files of the tarball's top directory."""
    with tarfile.open(tarball) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
        return {name: tar.extractfile(members[name]).read() for name in names}


def patch_driver(source):
    """Add the full-precision WRITE and its FORMAT to a driver's source."""
    for anchor in (ANCHOR_WRITE, ANCHOR_FORMAT):
        if source.count(anchor) != 1:
            sys.exit(f"driver does not contain exactly one {anchor.strip()!r}")
    source = source.replace(ANCHOR_WRITE, ANCHOR_WRITE + ADDED_WRITE)
    return source.replace(ANCHOR_FORMAT, ADDED_FORMAT + ANCHOR_FORMAT)


def run_driver(workdir, driver, sources, data, opt):
    """Build one driver at optimisation level `opt` and run it.

    `driver` is the patched driver file, `sources` the MINPACK files it
    needs. Returns the driver's MGHREF lines, parsed.
    """
    build = Path(workdir) / f"build{opt}"
    build.mkdir(exist_ok=True)
    objects = []
    for source in [driver, *sources]:
        flags = FFLAGS + [opt] + (DRIVER_FFLAGS if source == driver else [])
        obj = build / f"{source.stem}.o"
        subprocess.run(["gfortran", *flags, "-c", str(source), "-o", str(obj)], check=True)
        objects.append(str(obj))
    exe = build / driver.stem
    subprocess.run(["gfortran", "-o", str(exe), *objects], check=True)
    out = subprocess.run([str(exe)], input=data, capture_output=True, check=True).stdout
    runs = []
    for line in out.decode().splitlines():
        if not line.startswith(" MGHREF"):
            continue
        fields = line.split()[1:]
        nprob, n, m = map(int, fields[:3])
        factor, fnorm = map(float, fields[3:5])
        nfev, njev, info = map(int, fields[5:8])
        x = [float(v) for v in fields[8:]]
        assert len(x) == n, line
        runs.append(
            {
                "nprob": nprob,
                "n": n,
                "m": m,
                "factor": factor,
                "fnorm": fnorm,
                "nfev": nfev,
                "njev": njev,
                "info": info,
                "x": x,
            }
        )
    return runs


def file22_runs(data):
    """The (nprob, n, m, factor) of each run, as the drivers loop over file22."""
    runs = []
    for line in data.decode().splitlines():
        nprob, n, m, ntries = map(int, line.split())
        if nprob <= 0:
            break
        runs += [(nprob, n, m, 10.0**k) for k in range(ntries)]
    return runs


def compiler_version():
    out = subprocess.run(["gfortran", "--version"], capture_output=True, check=True)
    return out.stdout.decode().splitlines()[0]


def write_json(path, provenance, runs):
    """Write the reference: the provenance, then per run one line per driver."""

    def run_text(run):
        key = json.dumps({k: run[k] for k in ("nprob", "n", "m", "factor")})[1:-1]
        results = ",\n".join(f'     "{d}": {json.dumps(run[d])}' for d in DRIVERS)
        return f"    {{{key},\n{results}\n    }}"

    provenance = json.dumps(provenance, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    text = (
        '{\n  "provenance": '
        + provenance
        + ',\n  "runs": [\n'
        + ",\n".join(run_text(run) for run in runs)
        + "\n  ]\n}\n"
    )
    json.loads(text)  # well-formed
    Path(path).write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    minpack = sorted(MINPACK_SRC.glob("*.f"))
    with tempfile.TemporaryDirectory() as workdir:
        tarball, dsc = fetch_debian_source(workdir)
        names = [DATA] + [f for pair in DRIVERS.values() for f in pair]
        files = extract(tarball, names)
        data = files[DATA]

        results = {}
        for driver, (driver_file, easy) in DRIVERS.items():
            patched = Path(workdir) / f"t{driver}_ref.f"
            patched.write_text(patch_driver(files[driver_file].decode()))
            easy_path = Path(workdir) / easy
            easy_path.write_bytes(files[easy])
            outputs = [run_driver(workdir, patched, [easy_path, *minpack], data, opt) for opt in OPT_LEVELS]
            if any(out != outputs[0] for out in outputs):
                sys.exit(f"{driver}: results depend on the optimisation level")
            results[driver] = outputs[0]

        keys = file22_runs(data)
        for driver, runs in results.items():
            got = [(r["nprob"], r["n"], r["m"], r["factor"]) for r in runs]
            if got != keys:
                sys.exit(f"{driver} ran {got}, file22 says {keys}")
        runs = []
        for i, (nprob, n, m, factor) in enumerate(keys):
            run = {"nprob": nprob, "n": n, "m": m, "factor": factor}
            for driver in DRIVERS:
                r = results[driver][i]
                run[driver] = {k: r[k] for k in ("fnorm", "nfev", "njev", "info", "x")}
            runs.append(run)

        provenance = {
            "generator": "tools/mgh_reference/generate.py (see tools/mgh_reference/README.md)",
            "what": (
                "Results of MINPACK's own test drivers for LMDER1 (ex/file17) and "
                "LMDIF1 (ex/file19) on their data ex/file22: 53 runs of the 18 "
                "More-Garbow-Hillstrom problems, try k starting from 10**k times "
                "the standard point. Easy-driver settings: ftol = xtol = "
                "sqrt(dpmpar(1)) = sqrt(2.22044604926d-16), gtol = 0, "
                "maxfev = 100*(n+1) (lmder1) or 200*(n+1) (lmdif1), epsfcn = 0, "
                "mode = 1, factor = 100, nprint = 0; info 8 is reported as 4."
            ),
            "fields": {
                "fnorm": "FNORM2, ENORM of SSQFCN evaluated again at the final x",
                "nfev": "driver's NFEV: calls of FCN with IFLAG = 1",
                "njev": (
                    "driver's NJEV: calls of FCN with IFLAG = 2; for lmdif1 divided "
                    "by n (one forward-difference Jacobian = n calls), so lmdif's "
                    "own nfev = nfev + n*njev; for lmder1 lmder's nfev and njev "
                    "are the fields as they stand"
                ),
                "info": "INFO returned by lmder1/lmdif1",
                "x": "final X",
            },
            "patch": (
                "Each driver is run from a copy with one statement added after "
                "its 'WRITE (NWRITE,70)': 'WRITE (NWRITE,75) NPROB,N,M,FACTOR,"
                "FNORM2,NFEV,NJEV,INFO,(X(I), I = 1, N)' with "
                f"'{ADDED_FORMAT.strip()}'; only lines starting MGHREF are read."
            ),
            "sources": {
                "debian_source_package": dsc.name,
                "orig_tarball_sha256": sha256(tarball.read_bytes()),
                **{f"{name}_sha256": sha256(files[name]) for name in names},
                "minpack": "minpack_src/*.f (see minpack_src/SHA256SUMS)",
            },
            "compiler": compiler_version(),
            "fflags": (
                f"{' '.join(FFLAGS)} with each of {', '.join(OPT_LEVELS)} "
                "(bit-identical results); the driver file also with "
                f"{' '.join(DRIVER_FFLAGS)}, so that DEXP is glibc's scalar exp "
                "(at -O2/-O3 gfortran 12 otherwise vectorises SSQFCN/SSQJAC's "
                "exp loops with libmvec, which rounds differently)"
            ),
        }
        write_json(args.output, provenance, runs)
    print(f"wrote {args.output}: {len(runs)} runs x {len(DRIVERS)} drivers")


if __name__ == "__main__":
    main()

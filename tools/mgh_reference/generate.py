#!/usr/bin/env python3
"""Regenerate the results of MINPACK's own test drivers in tests/data/.

Runs, built against the vendored ``minpack_src/`` and recording
full-precision results:

- the least-squares test drivers for LMDER1, LMDIF1 and LMSTR1
  (``ex/file17``, ``ex/file19``, ``ex/file18``) on their data ``ex/file22``
  (53 runs of the 18 Moré–Garbow–Hillstrom problems), into
  ``tests/data/mgh_reference.json``;
- the nonlinear-equations test drivers for HYBRD1 and HYBRJ1
  (``ex/file15``, ``ex/file16``) on their data ``ex/file21`` (55 runs of 14
  problems), into ``tests/data/hybrd_reference.json``;
- the documentation's example drivers for HYBRD, HYBRJ and LMSTR
  (``ex/thybrd.f``, ``ex/thybrj.f``, ``ex/tlmstr.f``), which call the full
  routines with settings of their own (a banded Jacobian, ``mode = 2``), into
  ``tests/data/minpack_examples.json``.

See ``tools/mgh_reference/README.md``. Needs ``apt-get`` (Debian's
``minpack`` source package supplies the drivers, their data and the easy
drivers ``*1.f``) and ``gfortran``. Nothing is written outside a temporary
directory except the output files.

Usage: python3 tools/mgh_reference/generate.py [--output-dir DIR]
"""

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINPACK_SRC = ROOT / "minpack_src"
DEFAULT_OUTPUT_DIR = ROOT / "tests" / "data"
GENERATOR = "tools/mgh_reference/generate.py (see tools/mgh_reference/README.md)"

#: The start of every line the added WRITEs print; only these are read.
MARK = "MGHREF"


@dataclass(frozen=True)
class Driver:
    """One of MINPACK's drivers and the full-precision WRITE added to a copy.

    The copy gets `write` right after `anchor` (the last line of the
    driver's own WRITE of a run's results, D15.7) and `format` right before
    `format_anchor`; nothing else changes. `layout` names what `write`
    prints, in order: ``(field, type, size)`` with `type` ``int`` or
    ``float`` and `size` 1 (a scalar) or the length of an array: a number,
    or ``"n"`` for the value of the field ``n`` printed before it.
    """

    name: str
    source: str
    easy: str | None
    anchor: str
    write: str
    format: str
    format_anchor: str
    layout: tuple[tuple[str, type, int | str], ...]


#: The one FORMAT label the copies add; no driver uses it.
LABEL = "75"

#: The results of one run of the test drivers, after its keys.
_LEAST_SQUARES_LAYOUT = (
    ("nprob", int, 1),
    ("n", int, 1),
    ("m", int, 1),
    ("factor", float, 1),
    ("fnorm", float, 1),
    ("nfev", int, 1),
    ("njev", int, 1),
    ("info", int, 1),
    ("x", float, "n"),
)
_LEAST_SQUARES_WRITE = (
    f"            WRITE (NWRITE,{LABEL}) NPROB,N,M,FACTOR,FNORM2,NFEV,NJEV,INFO,\n     *            (X(I), I = 1, N)\n"
)
_LEAST_SQUARES_FORMAT = f"   {LABEL} FORMAT (' {MARK}', 3I5, 2ES26.17E3, 3I6, 40ES26.17E3)\n"
_LEAST_SQUARES_ANCHOR = "     *            FNORM1,FNORM2,NFEV,NJEV,INFO,(X(I), I = 1, N)\n"
_SUMMARY_FORMAT = "   80 FORMAT ("


def _least_squares_driver(name, source):
    return Driver(
        name,
        source,
        f"{name}.f",
        _LEAST_SQUARES_ANCHOR,
        _LEAST_SQUARES_WRITE,
        _LEAST_SQUARES_FORMAT,
        _SUMMARY_FORMAT,
        _LEAST_SQUARES_LAYOUT,
    )


LEAST_SQUARES = (
    _least_squares_driver("lmder1", "ex/file17"),
    _least_squares_driver("lmdif1", "ex/file19"),
    _least_squares_driver("lmstr1", "ex/file18"),
)


def _equations_driver(name, source, anchor, counters):
    """A HYBRD1/HYBRJ1 test driver; `counters` its counts, ``("NFEV",)`` or ``("NFEV", "NJEV")``."""
    return Driver(
        name,
        source,
        f"{name}.f",
        anchor,
        (
            f"            WRITE (NWRITE,{LABEL}) NPROB,N,FACTOR,FNORM2,{','.join(counters)},INFO,\n"
            "     *            (X(I), I = 1, N)\n"
        ),
        f"   {LABEL} FORMAT (' {MARK}', 2I5, 2ES26.17E3, {len(counters) + 1}I6, 40ES26.17E3)\n",
        _SUMMARY_FORMAT,
        (
            ("nprob", int, 1),
            ("n", int, 1),
            ("factor", float, 1),
            ("fnorm", float, 1),
            *((counter.lower(), int, 1) for counter in counters),
            ("info", int, 1),
            ("x", float, "n"),
        ),
    )


EQUATIONS = (
    _equations_driver(
        "hybrd1", "ex/file15", "            WRITE (NWRITE,70) FNORM1,FNORM2,NFEV,INFO,(X(I), I = 1, N)\n", ("NFEV",)
    ),
    _equations_driver(
        "hybrj1", "ex/file16", "     1            FNORM1,FNORM2,NFEV,NJEV,INFO,(X(I), I = 1, N)\n", ("NFEV", "NJEV")
    ),
)

#: The examples print whole arrays: each is declared with exactly the
#: problem's dimensions (n = 9 for hybrd/hybrj, m = 15 and n = 3 for lmstr).
_EXAMPLE_FORMAT_ANCHOR = " 1000 FORMAT ("


def _hybrid_example(name, counters):
    """The HYBRD or HYBRJ example (n = 9); `counters` its counts, as for :func:`_equations_driver`."""
    counts = ",".join(counters)
    return Driver(
        name,
        f"ex/t{name}.f",
        None,
        f"      WRITE (NWRITE,1000) FNORM,{counts},INFO,(X(J),J=1,N)\n",
        f"      WRITE (NWRITE,{LABEL}) FNORM,{counts},INFO,X,FVEC,FJAC,R,QTF\n",
        f"   {LABEL} FORMAT (' {MARK}', ES26.17E3, {len(counters) + 1}I6, 153ES26.17E3)\n",
        _EXAMPLE_FORMAT_ANCHOR,
        (
            ("fnorm", float, 1),
            *((counter.lower(), int, 1) for counter in counters),
            ("info", int, 1),
            ("x", float, 9),
            ("fvec", float, 9),
            ("fjac", float, 81),
            ("r", float, 45),
            ("qtf", float, 9),
        ),
    )


EXAMPLES = (
    _hybrid_example("hybrd", ("NFEV",)),
    _hybrid_example("hybrj", ("NFEV", "NJEV")),
    Driver(
        "lmstr",
        "ex/tlmstr.f",
        None,
        "      WRITE (NWRITE,1000) FNORM,NFEV,NJEV,INFO,(X(J),J=1,N)\n",
        f"      WRITE (NWRITE,{LABEL}) FNORM,NFEV,NJEV,INFO,X,FVEC,FJAC,IPVT,QTF\n",
        f"   {LABEL} FORMAT (' {MARK}', ES26.17E3, 3I6, 27ES26.17E3, 3I6, 3ES26.17E3)\n",
        _EXAMPLE_FORMAT_ANCHOR,
        (
            ("fnorm", float, 1),
            ("nfev", int, 1),
            ("njev", int, 1),
            ("info", int, 1),
            ("x", float, 3),
            ("fvec", float, 15),
            ("fjac", float, 9),
            ("ipvt", int, 3),
            ("qtf", float, 3),
        ),
    ),
)

#: The test drivers' data: the least-squares drivers read one
#: ``nprob n m ntries`` per line, the equation drivers ``nprob n ntries``.
LEAST_SQUARES_DATA = "ex/file22"
EQUATIONS_DATA = "ex/file21"

#: The drivers are built and run at each optimisation level; the results must
#: agree bit for bit.
OPT_LEVELS = ("-O0", "-O2", "-O3")
FFLAGS = ["-std=legacy"]
#: Added for the driver file itself (the problems' residuals and Jacobians),
#: not for MINPACK:
#:
#: - ``-fno-tree-vectorize``: at -O2 and above gfortran 12 vectorises the
#:   loops of SSQFCN/SSQJAC that call DEXP into calls of glibc's libmvec
#:   ``_ZGVbN2v_exp`` (declared SIMD-capable by glibc's
#:   math-vector-fortran.h), which rounds differently from the scalar ``exp``
#:   (up to 4 ulp) and changes whole runs (Meyer, problem 10, first). Without
#:   vectorisation DEXP is glibc's scalar ``exp``, as ``math.exp`` in the
#:   Python translations.
#: - ``-fno-automatic``: the LMSTR1 driver's FCN computes the whole Jacobian
#:   into its local array TEMP when asked for row 1 and hands out the other
#:   rows from TEMP on later calls, relying on the static locals of 1980's
#:   compilers (it has no SAVE). gfortran puts TEMP (20 800 bytes, under
#:   -fmax-stack-var-size) on the stack, where lmstr's own calls between
#:   the rows may overwrite it; with -fno-automatic it is static, as the
#:   driver assumes. (The results agree either way with gfortran 12 here.)
DRIVER_FFLAGS = ["-fno-tree-vectorize", "-fno-automatic"]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def debian_deb_src_line():
    """A ``deb-src`` line for the mirror and release of apt's own ``deb`` entries.

    Reads ``/etc/apt/sources.list`` and ``/etc/apt/sources.list.d/`` (one-line
    ``.list`` and deb822 ``.sources`` files) for the first ``deb`` entry of
    this release's suite (``VERSION_CODENAME`` of ``/etc/os-release``) with
    the ``main`` component, so the source package comes from wherever this
    machine already gets Debian's binary packages.
    """
    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    codename = release["VERSION_CODENAME"].strip('"')
    apt = Path("/etc/apt")
    entries = []  # (uris, suites, components, signed_by)
    for path in [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            match = re.match(r"\s*deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)", line)
            if match:
                options = dict(re.findall(r"([\w-]+)=(\S+)", (match[1] or "").strip("[] ")))
                entries.append(([match[2]], [match[3]], match[4].split(), options.get("signed-by")))
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = {}
            for line in stanza.splitlines():
                if line and not line.startswith("#") and ":" in line:
                    key, value = line.split(":", 1)
                    fields[key.strip().lower()] = value.split()
            if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
                uris, suites, components = (fields.get(key, []) for key in ("uris", "suites", "components"))
                entries.append((uris, suites, components, fields.get("signed-by", [None])[0]))
    for uris, suites, components, signed_by in entries:
        if codename in suites and "main" in components and uris:
            # A key file, not a key embedded in a deb822 stanza.
            options = f"[signed-by={signed_by}] " if signed_by and signed_by.startswith("/") else ""
            return f"deb-src {options}{uris[0]} {codename} main\n"
    sys.exit(f"no apt 'deb' entry for {codename} main found in /etc/apt")


def fetch_debian_source(workdir):
    """Download Debian's minpack source package into `workdir`.

    apt runs with a private configuration in `workdir` (its own source list
    with a ``deb-src`` entry, its own package lists and cache), so the
    system's apt configuration is neither needed nor changed. Returns the
    paths of the upstream tarball and of the ``.dsc``.
    """
    workdir = Path(workdir)
    apt = workdir / "apt"
    for sub in ("parts", "lists/partial", "cache/archives/partial"):
        (apt / sub).mkdir(parents=True)
    (apt / "sources.list").write_text(debian_deb_src_line())
    options = [
        f"-oDir::Etc::SourceList={apt / 'sources.list'}",
        f"-oDir::Etc::SourceParts={apt / 'parts'}",
        f"-oDir::State::Lists={apt / 'lists'}",
        f"-oDir::Cache={apt / 'cache'}",
    ]
    subprocess.run(["apt-get", *options, "-qq", "update"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", *options, "-qq", "source", "--download-only", "minpack"],
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = workdir.glob("minpack_*.orig.tar.gz")
    (dsc,) = workdir.glob("minpack_*.dsc")
    return tarball, dsc


def extract(tarball, names):
    """Return {name: bytes} for the named files of the tarball's top directory."""
    with tarfile.open(tarball) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
        return {name: tar.extractfile(members[name]).read() for name in names}


def patch_driver(driver, source):
    """Add the driver's full-precision WRITE and its FORMAT to its source."""
    for anchor in (driver.anchor, driver.format_anchor):
        if source.count(anchor) != 1:
            sys.exit(f"{driver.source} does not contain exactly one {anchor.strip()!r}")
    source = source.replace(driver.anchor, driver.anchor + driver.write)
    return source.replace(driver.format_anchor, driver.format + driver.format_anchor)


def parse_line(driver, line):
    """One MGHREF line as ``{field: value}``, by the driver's layout."""
    values = line.split()[1:]
    record = {}
    for field, kind, size in driver.layout:
        count = record["n"] if size == "n" else size
        items, values = [kind(v) for v in values[:count]], values[count:]
        if len(items) != count:
            sys.exit(f"{driver.name}: short {MARK} line {line!r}")
        record[field] = items[0] if size == 1 else items
    if values:
        sys.exit(f"{driver.name}: long {MARK} line {line!r}")
    return record


def run_driver(workdir, driver, path, sources, data, opt):
    """Build one patched driver at optimisation level `opt` and run it.

    `path` is the patched driver file, `sources` the MINPACK files it needs,
    `data` its standard input. Returns the driver's MGHREF lines, parsed.
    """
    build = Path(workdir) / f"build-{driver.name}{opt}"
    build.mkdir()
    objects = []
    for source in [path, *sources]:
        flags = FFLAGS + [opt] + (DRIVER_FFLAGS if source == path else [])
        obj = build / f"{source.stem}.o"
        subprocess.run(["gfortran", *flags, "-c", str(source), "-o", str(obj)], check=True)
        objects.append(str(obj))
    exe = build / path.stem
    subprocess.run(["gfortran", "-o", str(exe), *objects], check=True)
    out = subprocess.run([str(exe)], input=data, capture_output=True, check=True).stdout
    return [parse_line(driver, line) for line in out.decode().splitlines() if line.startswith(f" {MARK}")]


def data_runs(data):
    """The keys of each run, as the test drivers loop over their data.

    Each line is ``nprob n [m] ntries``; try k (0-based) starts from 10**k
    times the standard point. Returns dicts ``{"nprob", "n"[, "m"], "factor"}``.
    """
    runs = []
    for line in data.decode().splitlines():
        values = list(map(int, line.split()))
        if values[0] <= 0:
            break
        keys = dict(zip(("nprob", "n", "m"), values[:-1], strict=False))
        runs += [{**keys, "factor": 10.0**k} for k in range(values[-1])]
    return runs


def compiler_version():
    out = subprocess.run(["gfortran", "--version"], capture_output=True, check=True)
    return out.stdout.decode().splitlines()[0]


def check_vendored_copy(tarball):
    """Every minpack_src/*.f must be the tarball's file of the same name."""
    vendored = sorted(MINPACK_SRC.glob("*.f"))
    originals = extract(tarball, [path.name for path in vendored])
    for path in vendored:
        if path.read_bytes() != originals[path.name]:
            sys.exit(f"{path} differs from the file in {tarball.name}")


def run_all_levels(workdir, driver, files, data):
    """Run `driver` at every optimisation level; the results must agree."""
    patched = Path(workdir) / f"t{driver.name}_ref.f"
    patched.write_text(patch_driver(driver, files[driver.source].decode()))
    sources = sorted(MINPACK_SRC.glob("*.f"))
    if driver.easy is not None:
        easy = Path(workdir) / driver.easy
        easy.write_bytes(files[driver.easy])
        sources = [easy, *sources]
    outputs = [run_driver(workdir, driver, patched, sources, data, opt) for opt in OPT_LEVELS]
    if any(out != outputs[0] for out in outputs):
        sys.exit(f"{driver.name}: results depend on the optimisation level")
    return outputs[0]


def driver_runs(workdir, drivers, files, data_name):
    """Run the test drivers on their data; one dict per run, keys first."""
    keys = data_runs(files[data_name])
    runs = [dict(key) for key in keys]
    for driver in drivers:
        results = run_all_levels(workdir, driver, files, files[data_name])
        got = [{k: r[k] for k in key} for r, key in zip(results, keys, strict=False)]
        if len(results) != len(keys) or got != keys:
            sys.exit(f"{driver.name} ran {got}, {data_name} says {keys}")
        for run, result in zip(runs, results, strict=True):
            run[driver.name] = {k: v for k, v in result.items() if k not in run}
    return runs


def inputs(files, drivers, data=None):
    """The downloaded files that `drivers` read: their data, then each one's sources."""
    names = ([data] if data else []) + [name for d in drivers for name in (d.source, d.easy) if name]
    return {name: files[name] for name in names}


def statement(lines):
    """A fixed-form Fortran statement on one line, for reading."""
    return " ".join(re.sub(r"\n {5}\S", " ", lines).split())


def provenance(what, fields, drivers, files, tarball, dsc):
    return {
        "generator": GENERATOR,
        "what": what,
        "fields": fields,
        "patch": (
            f"Each driver is run from a copy with one WRITE statement and its FORMAT (label {LABEL}) "
            f"added, printing a run's results again on one line starting {MARK}, reals as ES26.17E3 "
            "(18 significant digits, enough to recover every double exactly); only those lines are "
            "read. Added: "
            + "; ".join(f"{d.source}: '{statement(d.write)}' with '{d.format.strip()}'" for d in drivers)
        ),
        "sources": {
            "debian_source_package": dsc.name,
            "orig_tarball_sha256": sha256(tarball.read_bytes()),
            **{f"{name}_sha256": sha256(data) for name, data in files.items()},
            "minpack": "minpack_src/*.f (see minpack_src/SHA256SUMS)",
        },
        "compiler": compiler_version(),
        "fflags": (
            f"{' '.join(FFLAGS)} with each of {', '.join(OPT_LEVELS)} "
            "(bit-identical results); the driver file also with "
            f"{' '.join(DRIVER_FFLAGS)}: -fno-tree-vectorize so that DEXP is glibc's scalar exp "
            "(at -O2/-O3 gfortran 12 otherwise vectorises the problems' exp loops with libmvec, "
            "which rounds differently), -fno-automatic so that the LMSTR1 driver's FCN keeps its "
            "Jacobian between the calls for its rows, as the driver assumes"
        ),
    }


def write_runs_json(path, provenance, runs, drivers, keys):
    """Write a test-driver reference: the provenance, then per run one line per driver."""

    def run_text(run):
        key = json.dumps({k: run[k] for k in keys})[1:-1]
        results = ",\n".join(f'     "{d.name}": {json.dumps(run[d.name])}' for d in drivers)
        return f"    {{{key},\n{results}\n    }}"

    _write(path, provenance, '"runs": [\n' + ",\n".join(run_text(run) for run in runs) + "\n  ]")


def write_examples_json(path, provenance, examples):
    """Write the examples' reference: the provenance, then one line per example."""
    body = ",\n".join(f'    "{name}": {json.dumps(result)}' for name, result in examples.items())
    _write(path, provenance, '"examples": {\n' + body + "\n  }")


def _write(path, provenance, body):
    provenance = json.dumps(provenance, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    text = '{\n  "provenance": ' + provenance + ",\n  " + body + "\n}\n"
    json.loads(text)  # well-formed
    Path(path).write_text(text)


LEAST_SQUARES_WHAT = (
    "Results of MINPACK's own test drivers for LMDER1 (ex/file17), LMDIF1 (ex/file19) and LMSTR1 "
    "(ex/file18) on their data ex/file22: 53 runs of the 18 More-Garbow-Hillstrom problems, try k "
    "starting from 10**k times the standard point. Easy-driver settings: ftol = xtol = "
    "sqrt(dpmpar(1)) = sqrt(2.22044604926d-16), gtol = 0, maxfev = 100*(n+1) (lmder1, lmstr1) or "
    "200*(n+1) (lmdif1), epsfcn = 0, mode = 1, factor = 100, nprint = 0; info 8 is reported as 4."
)
LEAST_SQUARES_FIELDS = {
    "fnorm": "FNORM2, ENORM of SSQFCN evaluated again at the final x",
    "nfev": "driver's NFEV: calls of FCN with IFLAG = 1",
    "njev": (
        "driver's NJEV: calls of FCN with IFLAG = 2; for lmdif1 divided by n (one forward-difference "
        "Jacobian = n calls), so lmdif's own nfev = nfev + n*njev; for lmder1 and lmstr1 (whose FCN "
        "is called with IFLAG = 2 for the first row of each Jacobian) the routine's own nfev and "
        "njev are the fields as they stand"
    ),
    "info": "INFO returned by lmder1/lmdif1/lmstr1",
    "x": "final X",
}
EQUATIONS_WHAT = (
    "Results of MINPACK's own test drivers for HYBRD1 (ex/file15) and HYBRJ1 (ex/file16) on their "
    "data ex/file21: 55 runs of the 14 nonlinear-equations problems of VECFCN, try k starting from "
    "10**k times the standard point. Easy-driver settings: xtol = tol = sqrt(dpmpar(1)) = "
    "sqrt(2.22044604926d-16), mode = 2 with diag = 1, factor = 100, nprint = 0; hybrd1: maxfev = "
    "200*(n+1), ml = mu = n-1, epsfcn = 0; hybrj1: maxfev = 100*(n+1); info 5 is reported as 4."
)
EQUATIONS_FIELDS = {
    "fnorm": "FNORM2, ENORM of the FVEC that hybrd1/hybrj1 return",
    "nfev": (
        "driver's NFEV: for hybrd1 every call of FCN (the forward-difference Jacobians' included), "
        "hybrd's own nfev; for hybrj1 calls with IFLAG = 1, hybrj's own nfev"
    ),
    "njev": "hybrj1 only: driver's NJEV, calls of FCN with IFLAG = 2, hybrj's own njev",
    "info": "INFO returned by hybrd1/hybrj1",
    "x": "final X",
}
EXAMPLES_WHAT = (
    "Results of the example drivers of MINPACK's documentation, ex/thybrd.f (HYBRD), ex/thybrj.f "
    "(HYBRJ) and ex/tlmstr.f (LMSTR), each calling the full routine with the settings written in "
    "it (see tests/data/README.md)."
)
EXAMPLES_FIELDS = {
    "fnorm": "FNORM, ENORM of the final FVEC",
    "nfev, njev, info": "the routine's own NFEV, NJEV (hybrj, lmstr) and INFO",
    "x, fvec": "final X and FVEC",
    "fjac": "final FJAC, column by column (Fortran order)",
    "r": "hybrd/hybrj: final R, the upper triangle packed by rows",
    "ipvt": "lmstr: final IPVT (1-based column numbers)",
    "qtf": "final QTF",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    args = parser.parse_args()

    drivers = LEAST_SQUARES + EQUATIONS + EXAMPLES
    with tempfile.TemporaryDirectory() as workdir:
        tarball, dsc = fetch_debian_source(workdir)
        check_vendored_copy(tarball)
        names = [LEAST_SQUARES_DATA, EQUATIONS_DATA]
        names += [name for d in drivers for name in (d.source, d.easy) if name is not None]
        files = extract(tarball, names)

        runs = driver_runs(workdir, LEAST_SQUARES, files, LEAST_SQUARES_DATA)
        write_runs_json(
            args.output_dir / "mgh_reference.json",
            provenance(
                LEAST_SQUARES_WHAT,
                LEAST_SQUARES_FIELDS,
                LEAST_SQUARES,
                inputs(files, LEAST_SQUARES, LEAST_SQUARES_DATA),
                tarball,
                dsc,
            ),
            runs,
            LEAST_SQUARES,
            ("nprob", "n", "m", "factor"),
        )
        print(f"mgh_reference.json: {len(runs)} runs x {len(LEAST_SQUARES)} drivers")

        runs = driver_runs(workdir, EQUATIONS, files, EQUATIONS_DATA)
        write_runs_json(
            args.output_dir / "hybrd_reference.json",
            provenance(
                EQUATIONS_WHAT, EQUATIONS_FIELDS, EQUATIONS, inputs(files, EQUATIONS, EQUATIONS_DATA), tarball, dsc
            ),
            runs,
            EQUATIONS,
            ("nprob", "n", "factor"),
        )
        print(f"hybrd_reference.json: {len(runs)} runs x {len(EQUATIONS)} drivers")

        examples = {}
        for driver in EXAMPLES:
            (examples[driver.name],) = run_all_levels(workdir, driver, files, b"")
        write_examples_json(
            args.output_dir / "minpack_examples.json",
            provenance(EXAMPLES_WHAT, EXAMPLES_FIELDS, EXAMPLES, inputs(files, EXAMPLES), tarball, dsc),
            examples,
        )
        print(f"minpack_examples.json: {len(examples)} examples")


if __name__ == "__main__":
    main()

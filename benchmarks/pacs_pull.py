"""Benchmark: ``cardgen pull`` of 50 key images against a plain dicomweb-client download of the same.

Starts a real Orthanc (as the tests do, tests/orthanc.py) and loads it with ``--kos`` teaching
studies made by tests/pacs_data.py: three 512 x 512 16-bit CT slices each (512 KiB of pixels), a GSPS
on one key image, a TID 1500 SR on the other and a KOS "For Teaching" selecting both, so 25 KOS
give 50 key images. Then, each in a fresh Python process (median of ``--repeat`` runs; peak RSS of
that process):

(a) ``cardgen pull`` into an empty cases folder: QIDO, WADO of the KOS, the key images and the
    annotation objects, de-identification, the audit, the case.yaml, the atomic rename;
(b) the plain baseline a diligent user would write with dicomweb-client: the same QIDO search,
    then ``retrieve_instance`` of every KOS, key image, GSPS and SR (the same instances, fetched
    one request each, as the pull does) and ``save_as`` into a folder, with no de-identification;
(c) the same user fetching whole studies instead (``retrieve_study``: one multipart request per
    study, so fewer round trips; it also brings the non-key slice of each study).

Run from the repository root (not part of the test suite)::

    nice -n 10 python benchmarks/pacs_pull.py --kos 25 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# A wrapper process per run, so that each peak RSS is that run's own.
WRAPPER = textwrap.dedent("""
    import resource, subprocess, sys, time
    start = time.perf_counter()
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    sys.stderr.write(done.stderr[-2000:])
    print(done.stdout.strip()); print(seconds); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    sys.exit(done.returncode)
""")

BASELINE_INSTANCES = textwrap.dedent("""
    import sys
    from pathlib import Path
    from dicomweb_client.api import DICOMwebClient
    url, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True)
    client = DICOMwebClient(url)
    annotation_classes = {"1.2.840.10008.5.1.4.1.1.11.1", "1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34"}
    def ref(r):
        return r["0020000D"]["Value"][0], r["0020000E"]["Value"][0], r["00080018"]["Value"][0]
    count = 0
    for found in client.search_for_instances(search_filters={"SOPClassUID": "1.2.840.10008.5.1.4.1.1.88.59"}):
        study, series, instance = ref(found)
        kos = client.retrieve_instance(study, series, instance)
        kos.save_as(out / f"{instance}.dcm"); count += 1
        for item in kos.CurrentRequestedProcedureEvidenceSequence:
            for s in item.ReferencedSeriesSequence:
                for sop in s.ReferencedSOPSequence:
                    ds = client.retrieve_instance(item.StudyInstanceUID, s.SeriesInstanceUID, sop.ReferencedSOPInstanceUID)
                    ds.save_as(out / f"{sop.ReferencedSOPInstanceUID}.dcm"); count += 1
        for r in client.search_for_instances(study_instance_uid=study):
            if r["00080016"]["Value"][0] in annotation_classes:
                ds = client.retrieve_instance(*ref(r))
                ds.save_as(out / f"{ref(r)[2]}.dcm"); count += 1
    print(f"{count} instances")
""")

BASELINE_STUDIES = textwrap.dedent("""
    import sys
    from pathlib import Path
    from dicomweb_client.api import DICOMwebClient
    url, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True)
    client = DICOMwebClient(url)
    count = 0
    studies = {r["0020000D"]["Value"][0] for r in
               client.search_for_instances(search_filters={"SOPClassUID": "1.2.840.10008.5.1.4.1.1.88.59"})}
    for study in sorted(studies):
        for ds in client.retrieve_study(study):
            ds.save_as(out / f"{ds.SOPInstanceUID}.dcm"); count += 1
    print(f"{count} instances")
""")


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds (Python's start included), peak RSS in KiB, the command's output."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    *output, seconds, peak = done.stdout.strip().splitlines()
    return float(seconds), int(peak), "\n".join(output)


def load(server, kos: int) -> int:
    import tests.pacs_data as data

    data.IMAGE_SIDE = 512
    key_images = 0
    for index in range(kos):
        patient = data.DOE if index % 2 == 0 else data.ROE
        study = data.teaching_study(patient, slices=3, study_date=f"2024{1 + index % 12:02d}{1 + index % 28:02d}")
        for ds in study.all():
            server.upload(data.to_bytes(ds))
        key_images += len(study.key_images)
    return key_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kos", type=int, default=25, help="teaching files (2 key images each)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from tests.orthanc import orthanc_missing_reason, start_orthanc

    reason = orthanc_missing_reason()
    if reason:
        raise SystemExit(reason)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        server = start_orthanc(scratch / "orthanc")
        try:
            key_images = load(server, args.kos)
            print(f"Orthanc {server.url}: {args.kos} KOS, {key_images} key images (512 x 512 x 16 bit)")
            runs = {
                "cardgen pull": lambda out: [sys.executable, "-m", "cardgen", "pull", "--server", server.dicomweb,
                                             "-o", str(out)],
                "dicomweb-client, same instances": lambda out: [sys.executable, "-c", BASELINE_INSTANCES,
                                                                server.dicomweb, str(out)],
                "dicomweb-client, whole studies": lambda out: [sys.executable, "-c", BASELINE_STUDIES,
                                                               server.dicomweb, str(out)],
            }
            results: dict[str, list[tuple[float, int]]] = {name: [] for name in runs}
            summaries: dict[str, str] = {}
            for attempt in range(args.repeat):
                for name, command in runs.items():  # interleaved: drifting load hits all alike
                    seconds, peak, output = timed(command(scratch / f"{attempt}-{len(summaries)}-{abs(hash(name))}"))
                    results[name].append((seconds, peak))
                    summaries[name] = output.splitlines()[-1] if output else ""
            base = statistics.median(s for s, _ in results["dicomweb-client, same instances"])
            for name, values in results.items():
                seconds = statistics.median(s for s, _ in values)
                peak = max(p for _, p in values) / 1024
                print(f"{name:34s} {seconds:6.2f} s  ({seconds / base:4.2f}x)  peak RSS {peak:6.0f} MiB   {summaries[name]}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()

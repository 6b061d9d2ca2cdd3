"""Bundles: `ind build` packs a catalog with every file it reads and a manifest; `load()` and
`ind eval` read one in memory, verify it, refuse a tampered or unsafe one with a coded error,
and name its digest in every result."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

import indicator_dsl
from indicator_dsl import __version__
from indicator_dsl.bundles import FORMAT, BundleError, build_bundle, read_bundle
from indicator_dsl.check import loader
from indicator_dsl.cli.main import main
from indicator_dsl.evaluate.inputs import read_records

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "jiangsu.tar.gz"
    assert main(["build", str(CATALOG), "--out", str(path)]) == 0
    return path


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}  # type: ignore[union-attr]


def pack(path: Path, files: dict[str, bytes], *, links: dict[str, str] | None = None) -> Path:
    """A .tar.gz of `files` (and symbolic links `name -> target`), written as a hand-made bundle."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def manifest_for(files: dict[str, bytes], entry: str) -> bytes:
    manifest = {
        "format": FORMAT,
        "engine": {"name": "indicator_dsl", "version": __version__},
        "entry": entry,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    return json.dumps(manifest).encode("utf-8")


def refused(path: Path) -> BundleError:
    with pytest.raises(BundleError) as caught:
        indicator_dsl.load(path)
    return caught.value


# ---------------------------------------------------------------- building


def test_the_bundle_holds_every_file_with_its_sha256_and_the_engine_version(bundle: Path) -> None:
    inside = members(bundle)
    manifest = json.loads(inside.pop("manifest.json"))
    assert manifest["format"] == FORMAT
    assert manifest["engine"] == {"name": "indicator_dsl", "version": __version__}
    assert manifest["entry"] == "catalog.ind"
    on_disk = {p.relative_to(CATALOG.parent).as_posix() for p in CATALOG.parent.rglob("*.ind")}
    assert set(inside) == set(manifest["files"]) == on_disk
    for name, data in inside.items():
        assert data == (CATALOG.parent / name).read_bytes()
        assert manifest["files"][name] == hashlib.sha256(data).hexdigest()


def test_building_twice_gives_the_same_bytes_and_digest(bundle: Path) -> None:
    again = build_bundle(CATALOG, engine=__version__)
    assert again.data == bundle.read_bytes()
    assert again.digest == hashlib.sha256(members(bundle)["manifest.json"]).hexdigest() == read_bundle(bundle).digest


def test_build_refuses_a_catalog_with_errors_and_a_wrong_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.ind"
    broken.write_text("ruleset broken\n", encoding="utf-8")
    assert main(["build", str(broken), "--out", str(tmp_path / "b.tar.gz")]) == 1
    assert "error[E214]" in capsys.readouterr().err
    assert not (tmp_path / "b.tar.gz").exists()
    assert main(["build", str(CATALOG), "--out", str(tmp_path / "b.zip")]) == 2


# ---------------------------------------------------------------- loading and evaluating


def test_a_bundle_scores_as_its_files_do_and_results_name_its_digest(bundle: Path) -> None:
    records = list(read_records(SAMPLE))[:12]
    from_files = indicator_dsl.load(CATALOG).evaluate_many(records).results
    packed = indicator_dsl.load(bundle)
    digest = read_bundle(bundle).digest
    assert packed.origin.bundle == digest
    from_bundle = packed.evaluate_many(records).results
    assert [r.ruleset.bundle for r in from_bundle] == [digest] * 12
    assert [r.model_dump(mode="json") for r in from_files] == [
        {
            **r.model_dump(mode="json"),
            "ruleset": {k: v for k, v in r.model_dump(mode="json")["ruleset"].items() if k != "bundle"},
        }
        for r in from_bundle
    ]
    assert "bundle" not in from_files[0].model_dump(mode="json")["ruleset"]
    parallel = packed.evaluate_many(records, workers=2).results
    assert [r.model_dump(mode="json") for r in parallel] == [r.model_dump(mode="json") for r in from_bundle]


def test_ind_eval_accepts_a_bundle(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(bundle), str(SAMPLE), "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 50
    assert {line["ruleset"]["bundle"] for line in lines} == {read_bundle(bundle).digest}


def test_loading_a_bundle_reads_no_file_but_the_archive(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reading(path: Path) -> bytes:
        raise AssertionError(f"read {path} from disk")

    monkeypatch.setattr(loader, "read_ruleset_bytes", no_reading)
    assert indicator_dsl.load(bundle).name == "jiangsu_organs"


# ---------------------------------------------------------------- refusing


def test_a_changed_file_is_refused_as_tampered(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inside = members(bundle)
    inside["common.ind"] = inside["common.ind"].replace(b"max 5", b"max 6", 1)
    tampered = pack(tmp_path / "t.tar.gz", inside)
    error = refused(tampered)
    assert error.code == "E022"
    assert "`common.ind` does not match its sha256 in the manifest" in str(error)
    assert main(["eval", str(tampered), str(SAMPLE)]) == 2
    assert "error[E022]" in capsys.readouterr().err


def test_unlisted_and_missing_files_are_refused_as_tampered(bundle: Path, tmp_path: Path) -> None:
    inside = members(bundle)
    extra = pack(tmp_path / "extra.tar.gz", {**inside, "extra.ind": b"schema x\n"})
    assert (refused(extra).code, "`extra.ind` is in the bundle but not in its manifest" in str(refused(extra))) == (
        "E022",
        True,
    )
    del inside["common.ind"]
    missing = refused(pack(tmp_path / "missing.tar.gz", inside))
    assert missing.code == "E022" and "`common.ind` is in the manifest but missing" in str(missing)


@pytest.mark.parametrize("name", ["/etc/x.ind", "../x.ind", "a/../../x.ind", "./x.ind", "a\\b.ind", "C:x.ind"])
def test_members_with_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    files = {name: b"schema x\n"}
    error = refused(pack(tmp_path / "u.tar.gz", {"manifest.json": manifest_for(files, name), **files}))
    assert error.code == "E021" and "is not a plain relative path" in str(error)


def test_links_are_refused(tmp_path: Path) -> None:
    files = {"a.ind": b"schema a\n"}
    path = pack(
        tmp_path / "l.tar.gz", {"manifest.json": manifest_for(files, "a.ind"), **files}, links={"b.ind": "/etc/passwd"}
    )
    error = refused(path)
    assert error.code == "E021" and "`b.ind` is not a regular file" in str(error)


def test_what_is_no_bundle_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not gzip at all")
    assert refused(junk).code == "E020"
    no_manifest = pack(tmp_path / "n.tar.gz", {"a.ind": b"schema a\n"})
    assert refused(no_manifest).code == "E020" and "has no manifest.json" in str(refused(no_manifest))
    wrong = pack(tmp_path / "w.tar.gz", {"manifest.json": b'{"format": "zip"}'})
    assert refused(wrong).code == "E020"
    assert refused(tmp_path / "absent.tar.gz").code == "E020"


def test_an_import_cannot_reach_outside_the_bundle(tmp_path: Path) -> None:
    (tmp_path / "secret.ind").write_text('schema secret\n\ntype S {\n  x: int "x"\n}\n', encoding="utf-8")
    for target in ("../secret.ind", "other.ind"):
        table = f'import "{target}"\n\nruleset t\nrecord S\ntotal 1\n'.encode()
        files = {"t.ind": table}
        path = pack(tmp_path / "i.tar.gz", {"manifest.json": manifest_for(files, "t.ind"), **files})
        with pytest.raises(indicator_dsl.RulesetError) as caught:
            indicator_dsl.load(path)
        codes = {d.code for d in caught.value.diagnostics}
        assert codes & {"E109", "E100", "E001"}, codes
        assert not isinstance(caught.value, BundleError)  # the bundle was sound; its ruleset is not

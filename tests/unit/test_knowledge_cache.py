"""The cache of the validated bundled knowledge: hits, misses, corruption, switching off, identical results."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import massage_rules as mr
from massage_rules.knowledge import cache as _cache, load as _knowledge, reading as _reading, yaml_files as _yaml
from massage_rules.knowledge.schema import KnowledgeFile
from tests.strategies import profiles

BASE = mr.load_knowledge()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache folder, with the cache switched on."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(_cache.CACHE_DIR_ENV, str(folder))
    monkeypatch.delenv(_cache.NO_CACHE_ENV, raising=False)
    return folder


@pytest.fixture
def yaml_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the YAML documents the loader parses: a cache hit parses none of the bundled files."""
    seen: list[str] = []
    real = _reading.load_yaml_text

    def counting(text: str) -> Any:
        seen.append(text[:40])
        return real(text)

    monkeypatch.setattr(_reading, "load_yaml_text", counting)
    return seen


@pytest.fixture
def own_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled knowledge that a test may edit, standing in for the bundled files."""
    folder = tmp_path / "knowledge"
    shutil.copytree(_knowledge.bundled_knowledge_paths()[0].parent, folder)
    monkeypatch.setattr(_knowledge, "bundled_knowledge_paths", lambda: tuple(sorted(folder.glob("*.yaml"))))
    return folder


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{_cache.FILE_PREFIX}*.json"))


def _same_base(a: mr.KnowledgeBase, b: mr.KnowledgeBase) -> None:
    for name in ("areas", "causes", "goals", "phases", "severity_bands", "findings", "techniques", "conditions"):
        assert dict(getattr(a, name)) == dict(getattr(b, name)), name
    assert dict(a.sources) == dict(b.sources)
    assert a.rules == b.rules
    assert dict(a.plan_defaults) == dict(b.plan_defaults)
    assert a.plan_settings == b.plan_settings
    assert (a.content_hash, a.version, a.files, a.billing) == (b.content_hash, b.version, b.files, b.billing)


def test_first_load_writes_the_cache_and_the_second_parses_no_yaml(cache_dir: Path, yaml_reads: list[str]) -> None:
    """A miss reads and caches every bundled file; the next load takes them all from the cache."""
    first = mr.load_knowledge()
    assert len(yaml_reads) == len(_knowledge.bundled_knowledge_paths())
    assert len(_files(cache_dir)) == 1
    yaml_reads.clear()
    second = mr.load_knowledge()
    assert yaml_reads == []
    _same_base(first, second)
    _same_base(second, BASE)


def test_cache_file_is_private_json(cache_dir: Path) -> None:
    """The cache is a JSON header line and a JSON payload, readable by its owner only."""
    mr.load_knowledge()
    (path,) = _files(cache_dir)
    head, _, payload = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    assert set(header) == {"format", "fingerprint", "sha256"}
    entries = json.loads(payload)
    assert len(entries) == len(_knowledge.bundled_knowledge_paths())
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_cache_code_uses_no_code_executing_format() -> None:
    """The cache module never imports pickle, marshal or shelve, nor calls eval or exec."""
    tree = ast.parse(Path(_cache.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"pickle", "marshal", "shelve", "dill", "cloudpickle"}
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profile=profiles(BASE))
def test_answers_identical_with_and_without_the_cache(profile: mr.ClientProfile, cached_base: mr.KnowledgeBase) -> None:
    """Every answer from a cached base is the same, byte for byte, as from a freshly parsed one."""
    assert mr.recommend(profile, cached_base).model_dump_json() == mr.recommend(profile, BASE).model_dump_json()


@pytest.fixture(scope="module")
def cached_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[mr.KnowledgeBase]:
    """The bundled knowledge loaded a second time, from the cache the first load wrote."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(_cache.CACHE_DIR_ENV, str(folder))
        patch.delenv(_cache.NO_CACHE_ENV, raising=False)
        mr.load_knowledge()
        assert _files(folder)
        yield mr.load_knowledge()


def test_errors_in_a_clinic_file_name_the_same_bundled_places_with_the_cache(
    cache_dir: Path, tmp_path: Path, yaml_reads: list[str]
) -> None:
    """A clinic file clashing with a bundled rule gets the same file:line message from a cached bundled base."""
    rule = next(r for r in BASE.rules if r.kind == "rule")
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text(
        f"rules:\n  - id: {rule.id}\n    text: Again.\n    when: {{areas: [lower_back]}}\n"
        "    note: Again.\n    sources: [nope]\n",
        encoding="utf-8",
    )
    with pytest.raises(mr.KnowledgeError) as fresh:
        mr.load_knowledge([clinic])
    assert _files(cache_dir)
    yaml_reads.clear()
    with pytest.raises(mr.KnowledgeError) as cached:
        mr.load_knowledge([clinic])
    assert len(yaml_reads) == 1  # the clinic file only
    assert [str(p) for p in cached.value.problems] == [str(p) for p in fresh.value.problems]
    assert f"is already defined at {rule.origin}" in str(cached.value)


def test_an_edited_file_is_read_again(cache_dir: Path, own_copy: Path, yaml_reads: list[str]) -> None:
    """A cached entry is keyed by the file's bytes: after an edit the file is parsed and the edit shows."""
    mr.load_knowledge()
    vocabulary = own_copy / "vocabulary.yaml"
    text = vocabulary.read_text(encoding="utf-8")
    name = BASE.areas["lower_back"].name
    vocabulary.write_text(text.replace(f"name: {name}", "name: Edited back", 1), encoding="utf-8")
    yaml_reads.clear()
    edited = mr.load_knowledge()
    assert len(yaml_reads) == 1
    assert edited.areas["lower_back"].name == "Edited back"
    assert edited.content_hash != BASE.content_hash
    yaml_reads.clear()
    assert mr.load_knowledge().areas["lower_back"].name == "Edited back"
    assert yaml_reads == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw.replace(b'"model"', b'"modeL"', 1),  # payload changed: its checksum no longer matches
        lambda raw: b"not json\n" + raw,
        lambda raw: b"",
        lambda raw: raw.split(b"\n", 1)[0] + b"\n" + b"[" * 100_000,
    ],
    ids=["truncated", "changed", "garbage-header", "empty", "deep"],
)
def test_a_corrupt_cache_is_ignored_and_rewritten(cache_dir: Path, yaml_reads: list[str], damage: Any) -> None:
    """A damaged cache file is a miss: the files are parsed, the answer is right, and the file is rewritten."""
    mr.load_knowledge()
    (path,) = _files(cache_dir)
    path.write_bytes(damage(path.read_bytes()))
    yaml_reads.clear()
    _same_base(mr.load_knowledge(), BASE)
    assert len(yaml_reads) == len(_knowledge.bundled_knowledge_paths())
    yaml_reads.clear()
    mr.load_knowledge()
    assert yaml_reads == []


def test_a_checksummed_entry_of_the_wrong_shape_is_a_miss(cache_dir: Path, yaml_reads: list[str]) -> None:
    """An entry that cannot be rebuilt (valid JSON, valid checksum, wrong content) makes that file be parsed."""
    mr.load_knowledge()
    (path,) = _files(cache_dir)
    header, _, payload = path.read_bytes().partition(b"\n")
    entries = json.loads(payload)
    first = next(iter(entries))
    entries[first]["model"] = {"no_such_field": 1}
    new_payload = json.dumps(entries).encode()
    new_header = dict(json.loads(header), sha256=_cache.hashlib.sha256(new_payload).hexdigest())
    path.write_bytes(json.dumps(new_header).encode() + b"\n" + new_payload)
    yaml_reads.clear()
    _same_base(mr.load_knowledge(), BASE)
    assert len(yaml_reads) == 1


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_file_others_can_write_is_ignored(cache_dir: Path, yaml_reads: list[str]) -> None:
    """A cache file writable by group or others might not be ours: it is not trusted."""
    mr.load_knowledge()
    (path,) = _files(cache_dir)
    path.chmod(0o666)
    yaml_reads.clear()
    mr.load_knowledge()
    assert len(yaml_reads) == len(_knowledge.bundled_knowledge_paths())


def test_an_unusable_cache_folder_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the cache folder cannot be made (a file stands in the way), loading works as without a cache."""
    blocker = tmp_path / "file"
    blocker.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv(_cache.CACHE_DIR_ENV, str(blocker / "cache"))
    monkeypatch.delenv(_cache.NO_CACHE_ENV, raising=False)
    _same_base(mr.load_knowledge(), BASE)
    _same_base(mr.load_knowledge(), BASE)
    assert list(tmp_path.iterdir()) == [blocker]


def test_switched_off_by_the_environment(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MASSAGE_RULES_NO_CACHE=1 neither reads nor writes a cache."""
    monkeypatch.setenv(_cache.NO_CACHE_ENV, "1")
    mr.load_knowledge()
    assert not cache_dir.exists()
    assert _cache.CacheStore.open() is None


def test_folder_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without MASSAGE_RULES_CACHE_DIR the cache lives under an absolute XDG_CACHE_HOME; a relative one is ignored."""
    monkeypatch.delenv(_cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv(_cache.NO_CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.cache_dir() == tmp_path / "massage_rules"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _cache.cache_dir() == tmp_path / "home" / ".cache" / "massage_rules"


def test_other_code_uses_another_cache_file(
    cache_dir: Path, yaml_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is named by a fingerprint of the code: other code (another install, an edit) misses."""
    mr.load_knowledge()
    monkeypatch.setattr(_cache, "fingerprint", lambda: "f" * 64)
    yaml_reads.clear()
    mr.load_knowledge()
    assert len(yaml_reads) == len(_knowledge.bundled_knowledge_paths())
    assert len(_files(cache_dir)) == 2


def test_old_cache_files_are_pruned(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing keeps the current file and the few most recent others."""
    for i in range(_cache.KEEP + 3):
        monkeypatch.setattr(_cache, "fingerprint", lambda i=i: f"{i:x}" * 64)
        mr.load_knowledge()
    assert len(_files(cache_dir)) == _cache.KEEP + 1


def test_fingerprint_covers_every_module_the_shapers_import() -> None:
    """Every module of the package that the cache's shaping modules import is itself hashed into the fingerprint."""
    package = Path(_cache.__file__).parents[1]
    for name in _cache.SHAPERS:
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("massage_rules"):
                assert node.level == 0, f"{name}: relative import"
                module = node.module.removeprefix("massage_rules").lstrip(".")
                targets = [f"{module}.{alias.name}" if module else alias.name for alias in node.names]
                for target in targets:
                    as_file = target.replace(".", "/") + ".py"
                    parent_file = target.rpartition(".")[0].replace(".", "/") + ".py"
                    assert as_file in _cache.SHAPERS or parent_file in _cache.SHAPERS, f"{name} imports {target}"


def _paths(data: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, (*prefix, i))


@pytest.mark.parametrize("path", _knowledge.bundled_knowledge_paths(), ids=lambda p: p.name)
def test_skeleton_locates_as_the_loaded_data_does(path: Path) -> None:
    """Every path into a bundled file, and paths that leave it, locate the same through a JSON round trip."""
    data = _yaml.load_yaml_text(path.read_text(encoding="utf-8"))
    skeleton = _yaml.Skeleton(json.loads(json.dumps(_yaml.Skeleton.of(data).root)))
    for loc in _paths(data):
        for probe in (loc, (*loc, "missing"), (*loc, 10_000), (*loc, 0, "x")):
            assert _yaml.locate(skeleton, probe) == _yaml.locate(data, probe), probe


@pytest.mark.parametrize("path", _knowledge.bundled_knowledge_paths(), ids=lambda p: p.name)
def test_rebuilt_model_is_identical(path: Path) -> None:
    """A bundled file's model, written as plain JSON and rebuilt, has the same values, types and given fields."""
    model = KnowledgeFile.model_validate(_yaml.load_yaml_text(path.read_text(encoding="utf-8")))
    rebuilt = _cache.rebuild(KnowledgeFile, json.loads(json.dumps(_cache.plain(model))))
    assert _cache.identical(rebuilt, model)
    assert rebuilt.model_dump_json() == model.model_dump_json()
    assert rebuilt == model


def test_identical_tells_types_apart() -> None:
    """The round-trip check is strict: 1 and 1.0, a list and a tuple, key order, all differ."""
    assert not _cache.identical(1, 1.0)
    assert not _cache.identical(True, 1)
    assert not _cache.identical([1], (1,))
    assert not _cache.identical({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert _cache.identical({"a": [1.5, None]}, {"a": [1.5, None]})


def test_rebuilt_model_stays_read_only(cached_base: mr.KnowledgeBase) -> None:
    """Lists in models rebuilt from the cache refuse changes, as validated ones do."""
    technique = next(iter(cached_base.techniques.values()))
    with pytest.raises(TypeError, match="cannot be changed"):
        technique.sources.append("x")  # type: ignore[attr-defined]


def _fake_cache_file(folder: Path, key: str, age_days: int, header: bool = True) -> Path:
    """A file that looks, by name (and by header when asked), like one this cache wrote ``age_days`` ago."""
    path = folder / f"{_cache.FILE_PREFIX}{key}.json"
    head = {"format": _cache.FORMAT, "fingerprint": key + "0" * 24, "sha256": "0" * 64} if header else "user data"
    path.write_text(json.dumps(head) + "\n{}", encoding="utf-8")
    when = 1_700_000_000 - age_days * 86_400
    os.utime(path, (when, when))
    return path


def test_pruning_deletes_only_old_files_the_cache_wrote(cache_dir: Path) -> None:
    """Pruning keeps the KEEP newest other cache files and never touches a file it did not write."""
    cache_dir.mkdir(mode=0o700)
    own = [_fake_cache_file(cache_dir, f"{i:040x}", age_days=i) for i in range(_cache.KEEP + 2)]
    user_file = cache_dir / "user-notes.txt"
    user_file.write_text("mine", encoding="utf-8")
    foreign = [
        cache_dir / "knowledge-export1.json",  # the name that an earlier version's pruning deleted
        cache_dir / f"knowledge-{'a' * 40}.json",
        _fake_cache_file(cache_dir, "b" * 40, age_days=50, header=False),  # our name, not our header
        cache_dir / f"{_cache.FILE_PREFIX}notakey.json",
        cache_dir / f"{_cache.FILE_PREFIX}{'c' * 40}.json",  # our name and header, but a link to the user's file
    ]
    for path in foreign[:2] + foreign[3:4]:
        path.write_text(json.dumps({"format": 1, "fingerprint": "x", "sha256": "y"}) + "\n{}", encoding="utf-8")
        os.utime(path, (0, 0))
    user_file.write_text(json.dumps({"format": 1, "fingerprint": "c" * 64, "sha256": "y"}) + "\n", encoding="utf-8")
    foreign[4].symlink_to(user_file)
    mr.load_knowledge()
    assert all(path.exists() for path in foreign), [p.name for p in foreign if not p.exists()]
    assert user_file.exists()
    assert [path.exists() for path in own] == [True] * _cache.KEEP + [False, False]
    assert len(_files(cache_dir)) == _cache.KEEP + 1 + 3  # this run's, the kept ones, and three foreign look-alikes


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_no_pruning_in_a_folder_others_may_write(cache_dir: Path) -> None:
    """In a folder that others may write (say /tmp), old cache files are left alone: they may not be ours."""
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    own = [_fake_cache_file(cache_dir, f"{i:040x}", age_days=i) for i in range(_cache.KEEP + 2)]
    mr.load_knowledge()
    assert all(path.exists() for path in own)
    assert len(_files(cache_dir)) == _cache.KEEP + 3

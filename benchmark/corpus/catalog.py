"""The corpus table (`apps.yaml`): third-party web apps pinned to exact npm package versions.

Each app names the package tarball it comes from (name, version, the registry's sha512
integrity), its licence and author, its framework, the entry page inside the package, the
kinds of app it is, and the CDN files its entry loads, each mapped to a file of another
pinned npm package (the fetcher rewrites those URLs to local paths).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ...core.errors import IwrError

CORPUS_DIR = Path(__file__).resolve().parent
APPS_YAML = CORPUS_DIR / "apps.yaml"

AppKind = Literal["grid_game", "keyboard", "form", "hash_routed", "modal"]


class CorpusError(IwrError):
    """The corpus table or a fetched package is not usable (bad table, integrity mismatch)."""


class _Entry(BaseModel):
    """A catalog entry: unknown keys are errors, and it never changes once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PackageRef(_Entry):
    """One pinned npm tarball: `name@version` and the registry's integrity string."""

    name: str = Field(pattern=r"^(@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][\w.-]+)?$")  # exact, never a range
    integrity: str = Field(pattern=r"^sha512-[A-Za-z0-9+/]+=*$")

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


class CdnFile(_Entry):
    """A CDN URL the entry loads, served instead from a file of a pinned npm package."""

    url: str = Field(pattern=r"^(https?:)?//")
    package: PackageRef
    path: str = Field(min_length=1)  # file inside that package
    file: str | None = None  # the app's file that names the URL (default: the entry page)

    @property
    def local_url(self) -> str:
        """Where the fetcher puts the file, as a root-relative URL of the served site."""
        return f"/_npm/{self.package.spec}/{self.path}"


class CorpusApp(_Entry):
    """One third-party app of the corpus."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    package: PackageRef
    licence: str = Field(min_length=2)
    author: str = Field(min_length=2)
    framework: str = Field(min_length=2)
    entry: str = Field(min_length=1)  # page inside the package, e.g. "examples/index.html"
    kinds: tuple[AppKind, ...] = ()
    cdn: tuple[CdnFile, ...] = ()
    homepage: str = ""

    @field_validator("entry")
    @classmethod
    def _entry_inside(cls, v: str) -> str:
        if v.startswith("/") or ".." in Path(v).parts or not re.search(r"\.html?$", v):
            raise ValueError(f"entry {v!r} must be a relative .html path inside the package")
        return v

    @property
    def demo_dir(self) -> Path:
        """The folder of this app's demo.yaml and defects.yaml (in the repository)."""
        return CORPUS_DIR / self.id


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    apps: list[CorpusApp] = Field(min_length=1)


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[CorpusApp, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        apps = Catalog.model_validate(data).apps
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise CorpusError(f"{path}: {str(e).splitlines()[0]}") from None
    ids = [a.id for a in apps]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise CorpusError(f"{path}: duplicate app ids: {', '.join(dups)}")
    return tuple(apps)


def corpus_apps(path: Path = APPS_YAML) -> list[CorpusApp]:
    """Every app of the corpus table, in table order."""
    return list(_load(path.resolve()))


def corpus_app(app_id: str, path: Path = APPS_YAML) -> CorpusApp:
    """The app with this id; CorpusError naming the known ids otherwise."""
    for app in corpus_apps(path):
        if app.id == app_id:
            return app
    known = ", ".join(a.id for a in corpus_apps(path))
    raise CorpusError(f"no corpus app {app_id!r} (known: {known})")

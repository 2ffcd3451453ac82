"""README sections generated from results files are current: no number is typed by hand."""

from shared.paths import repo_root
from shared.readme import update_readmes


def test_every_generated_readme_section_matches_its_files(monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(repo_root() / "results"))  # the committed results
    stale = update_readmes(check=True)
    assert stale == [], f"run `make report` to regenerate the generated sections of {stale}"

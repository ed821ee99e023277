//! Keyset paging, written once for every list: a page size within the API family's
//! bounds, one row read past the page to learn whether another follows, the marker of
//! that next page by the family's rule, and the two ways a family links to it.
//!
//! The families differ only in what [`Family`] says: HP-IDM (registered services,
//! endpoint templates) takes limits as plain digits, answers 413 above its maximum and
//! starts a page *after* its marker (the last item shown); RSR (the live registry) takes
//! any integer, answers 400 outside its bounds and starts a page *at* its marker (the
//! first item not shown).

use actix_web::HttpRequest;

use super::http::absolute_url;

/// How an API family reads `limit` and where its marker points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub default: u16,
    pub max: u16,
    syntax: Syntax,
    marker: MarkerRule,
}

/// HP-IDM's lists: `limit` 1..=1000 as digits (default 100), exclusive marker.
pub const HP_IDM: Family = Family {
    default: 100,
    max: 1000,
    syntax: Syntax::Digits,
    marker: MarkerRule::After,
};

/// RSR's lists: `limit` 1..=1000 as an integer (default 100), inclusive marker.
pub const RSR: Family = Family {
    default: 100,
    max: 1000,
    syntax: Syntax::Integer,
    marker: MarkerRule::From,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// ASCII digits only; a number too long for 64 bits is merely too large.
    Digits,
    /// A signed 64-bit integer; blanks around it are ignored.
    Integer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkerRule {
    /// The marker is the last item of the previous page.
    After,
    /// The marker is the first item of the page.
    From,
}

/// A `limit` the family refuses, worded as the family words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("limit must be a positive integer, got '{given}'")]
    NotAPositiveInteger { given: String },
    #[error("limit must be greater than zero")]
    Zero,
    /// HP-IDM answers this one with 413 `overLimit`; each family says what to do instead.
    #[error("limit may be at most {max}; ask for fewer per page")]
    TooLarge { max: u16 },
    #[error("Limit must be a number")]
    NotANumber,
    #[error("Invalid limit {given}. Minimum limit is 1 and maximum limit is {max}.")]
    OutOfRange { given: i64, max: u16 },
}

/// Items on one page: 1 ..= the family's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageSize(u16);

impl PageSize {
    pub fn get(self) -> u16 {
        self.0
    }

    /// Rows to read: the page and one more, which tells whether a next page exists.
    pub fn rows_to_fetch(self) -> i64 {
        i64::from(self.0) + 1
    }
}

impl Family {
    /// `None` (absent) gives the default.
    pub fn limit(&self, raw: Option<&str>) -> Result<PageSize, LimitError> {
        let Some(raw) = raw else {
            return Ok(PageSize(self.default));
        };
        let value = match self.syntax {
            Syntax::Digits => {
                if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(LimitError::NotAPositiveInteger {
                        given: raw.chars().take(32).collect(),
                    });
                }
                let significant = raw.trim_start_matches('0');
                if significant.is_empty() {
                    return Err(LimitError::Zero);
                }
                significant
                    .parse::<u64>()
                    .ok()
                    .filter(|value| *value <= u64::from(self.max))
                    .ok_or(LimitError::TooLarge { max: self.max })?
            }
            Syntax::Integer => {
                let value: i64 = raw.trim().parse().map_err(|_| LimitError::NotANumber)?;
                u64::try_from(value)
                    .ok()
                    .filter(|value| (1..=u64::from(self.max)).contains(value))
                    .ok_or(LimitError::OutOfRange {
                        given: value,
                        max: self.max,
                    })?
            }
        };
        Ok(PageSize(value as u16))
    }

    /// The page in `rows` (read with [`PageSize::rows_to_fetch`]) and, when another
    /// follows, its marker by the family's rule.
    pub fn page<T, M>(
        &self,
        mut rows: Vec<T>,
        size: PageSize,
        marker_of: impl Fn(&T) -> M,
    ) -> Page<T, M> {
        let size = usize::from(size.get());
        let more = rows.len() > size;
        rows.truncate(size + 1);
        let next = match self.marker {
            MarkerRule::From => more.then(|| rows.pop().map(|row| marker_of(&row))),
            MarkerRule::After => {
                rows.truncate(size);
                more.then(|| rows.last().map(&marker_of))
            }
        };
        Page {
            items: rows,
            next: next.flatten(),
        }
    }
}

/// One page of a list in key order, and the marker of the next page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, M> {
    pub items: Vec<T>,
    pub next: Option<M>,
}

impl<T, M> Page<T, M> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U, M> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// HP-IDM's link: `<URL of ROUTE?k=v&...>; rel="next"`, for the `Link` header.
pub fn next_link(request: &HttpRequest, route: &str, query: &[(&str, &str)]) -> Option<String> {
    let mut url = request.url_for_static(route).ok()?;
    url.query_pairs_mut().extend_pairs(query);
    Some(format!("<{url}>; rel=\"next\""))
}

/// RSR's `next_href`: the request's own URL, as the client reached it, with `marker` set
/// to `next` and its other parameters kept.
pub fn next_href(request: &HttpRequest, next: &str) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(request)
        .into_iter()
        .filter(|(key, _)| key != "marker")
        .collect();
    pairs.push(("marker".into(), next.to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", absolute_url(request, request.path()))
}

fn query_pairs(request: &HttpRequest) -> Vec<(String, String)> {
    serde_urlencoded::from_str(request.query_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(family: Family) -> impl Fn(Option<&str>) -> Result<u16, LimitError> {
        move |raw| family.limit(raw).map(PageSize::get)
    }

    #[test]
    fn both_families_give_100_when_no_limit_is_asked() {
        for family in [HP_IDM, RSR] {
            assert_eq!(limits(family)(None), Ok(100));
        }
    }

    #[test]
    fn hp_idm_limits_are_digits_up_to_1000() {
        let limit = limits(HP_IDM);
        assert_eq!(limit(Some("1000")), Ok(1000));
        assert_eq!(limit(Some("007")), Ok(7));
        assert_eq!(limit(Some("1001")), Err(LimitError::TooLarge { max: 1000 }));
        assert_eq!(
            limit(Some("99999999999999999999999")),
            Err(LimitError::TooLarge { max: 1000 })
        );
        assert_eq!(limit(Some("000")), Err(LimitError::Zero));
        for bad in ["", "-1", "+5", "ten", "1.5", " 5"] {
            assert!(
                matches!(
                    limit(Some(bad)),
                    Err(LimitError::NotAPositiveInteger { .. })
                ),
                "accepted {bad:?}"
            );
        }
    }

    #[test]
    fn rsr_limits_are_integers_from_1_to_1000() {
        let limit = limits(RSR);
        assert_eq!(limit(Some(" 5 ")), Ok(5));
        assert_eq!(limit(Some("+5")), Ok(5));
        assert_eq!(
            limit(Some("0")),
            Err(LimitError::OutOfRange {
                given: 0,
                max: 1000
            })
        );
        assert_eq!(
            limit(Some("-3")),
            Err(LimitError::OutOfRange {
                given: -3,
                max: 1000
            })
        );
        for bad in ["", "ten", "1.5", "99999999999999999999"] {
            assert_eq!(limit(Some(bad)), Err(LimitError::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn markers_follow_the_family_rule() {
        let size = HP_IDM.limit(Some("2")).unwrap();
        assert_eq!(size.rows_to_fetch(), 3);
        let after = HP_IDM.page(vec![1, 2, 3], size, |n| *n);
        assert_eq!((after.items, after.next), (vec![1, 2], Some(2)));
        let from = RSR.page(vec![1, 2, 3], size, |n| *n);
        assert_eq!((from.items, from.next), (vec![1, 2], Some(3)));
        for family in [HP_IDM, RSR] {
            let last = family.page(vec![1, 2], size, |n| *n);
            assert_eq!((last.items, last.next), (vec![1, 2], None));
        }
    }
}

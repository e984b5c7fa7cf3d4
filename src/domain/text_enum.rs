//! Enums stored as text: one macro declares the enum with the stable string
//! of each variant and derives everything else from that one list — the
//! string both ways, `ALL` for iteration, `Display`/`FromStr`, and diesel's
//! `Text` mapping on both backends (through the MultiConnection's backend).
//! A stored string that names no variant is an error (`Unknown`), never a
//! fallback to some real variant: it can only mean a corrupt database.

use std::fmt;

/// A text that names no variant of the enum it was read as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// The enum's name, e.g. `Role`.
    pub type_name: &'static str,
    /// The text as found (at most 64 characters of it).
    pub value: String,
}

impl Unknown {
    pub fn new(type_name: &'static str, value: &str) -> Unknown {
        Unknown {
            type_name,
            value: value.chars().take(64).collect(),
        }
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a known {}", self.value, self.type_name)
    }
}

impl std::error::Error for Unknown {}

impl From<Unknown> for diesel::result::Error {
    /// A value read from the database that does not parse: the query
    /// fails as a deserialization error (a fault, never a fallback).
    fn from(e: Unknown) -> Self {
        diesel::result::Error::DeserializationError(Box::new(e))
    }
}

/// Declares an enum stored as text:
///
/// ```ignore
/// text_enum! {
///     /// Doc of the enum.
///     pub enum Stage {
///         /// Doc of the variant.
///         Full = "full",
///     }
/// }
/// ```
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable string, as stored in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Inverse of `as_str`, exact: anything else is `Unknown`.
            pub fn parse(
                text: &str,
            ) -> Result<$name, $crate::domain::text_enum::Unknown> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::text_enum::Unknown::new(
                        stringify!($name),
                        text,
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            /// As its stable string.
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// From its stable string; anything else is an error.
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::text_enum::Unknown;

            fn from_str(text: &str) -> Result<$name, Self::Err> {
                $name::parse(text)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $name
        {
            fn from_sql(
                bytes: <$crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    $crate::db::MultiBackend,
                >>::from_sql(bytes)?;
                Ok($name::parse(&text)?)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $name
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<
                    diesel::sql_types::Text,
                    $crate::db::MultiBackend,
                >>::to_sql(self.as_str(), out)
            }
        }

        // Read on each backend too, for the statements that only one
        // backend's connection runs (`RETURNING`, `ON CONFLICT`).
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Ok($name::parse(&text)?)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>
            for $name
        {
            fn from_sql(
                bytes: <diesel::sqlite::Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::sqlite::Sqlite,
                >>::from_sql(bytes)?;
                Ok($name::parse(&text)?)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<
                    diesel::sql_types::Text,
                    diesel::sqlite::Sqlite,
                >>::to_sql(self.as_str(), out)
            }
        }
    };
}

pub(crate) use text_enum;

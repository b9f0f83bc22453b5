//! `--where EXPR`, shared by `log`, `read`, `export` and `streams`: parsed before the store
//! opens, so a mistake costs nothing and names its column.

use clap::Args;

use crate::store::StoreError;
use crate::store::expr::Where;

// The `--where` flag. (No doc comment: flattened into a subcommand whose own arguments
// carry no description, clap would take it as that subcommand's.)
#[derive(Debug, Args, Clone, Default)]
pub struct WhereArg {
    /// Only events this expression matches, e.g. "type = 'MoneyDeposited' and data.amount >= 1000"
    /// (fields: type stream category version position schema_version recorded_at data.… metadata.…;
    /// = != < <= > >= in (…) like exists and or not)
    #[arg(long = "where", value_name = "EXPR")]
    pub expression: Option<String>,
}

impl WhereArg {
    /// The parsed expression (None without the flag).
    pub fn parse(&self) -> Result<Option<Where>, StoreError> {
        self.expression
            .as_deref()
            .map(Where::parse)
            .transpose()
            .map_err(StoreError::from)
    }
}

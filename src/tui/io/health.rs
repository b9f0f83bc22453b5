//! The Types and Health views' work: the type catalog brought up to date, and the doctor
//! run, each in the background.

use std::sync::Arc;

use super::{Response, Worker};
use crate::catalog::Catalog;

pub(super) fn types(w: &Worker) {
    let store = w.store.clone();
    w.spawn(async move {
        let (catalog, _) = Catalog::refresh(&store).await?;
        Ok(Response::Types(Arc::new(catalog)))
    });
}

pub(super) fn doctor(w: &Worker) {
    let store = w.store.clone();
    let replay = w.replay.clone();
    w.spawn(async move {
        let report = crate::doctor::examine(&store, replay.config()).await?;
        Ok(Response::Findings(Arc::new(report)))
    });
}

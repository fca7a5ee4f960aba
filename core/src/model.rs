//! The model: the memory each consumer needs (with every default's source), the recommendation's
//! bounds, and every version of both ever shipped. Data and formulas only: the model imports
//! only the input types, and [`crate::plan`] reads it.

pub(crate) mod bounds;
pub(crate) mod memory;
pub(crate) mod versions;

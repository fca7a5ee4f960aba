//! The page's views, one per URL fragment: the calculator (the first load), and the check and
//! log views (the second module, loaded when one of them is first opened).

/// A view of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Calculator,
    /// "Check my config": `#check`.
    Check,
    /// "From my logs": `#logs`.
    Logs,
}

impl View {
    pub const ALL: [View; 3] = [View::Calculator, View::Check, View::Logs];

    /// The view a URL fragment selects: any fragment but `#check` and `#logs` (none, or the skip
    /// link's `#result`) is the calculator's.
    pub fn from_hash(hash: &str) -> View {
        match hash {
            "#check" => View::Check,
            "#logs" => View::Logs,
            _ => View::Calculator,
        }
    }

    /// The link that opens the view (relative: the query, that is the calculator's inputs, stays).
    pub fn href(self) -> &'static str {
        match self {
            View::Calculator => "#",
            View::Check => "#check",
            View::Logs => "#logs",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Calculator => "Calculator",
            View::Check => "Check my config",
            View::Logs => "From my logs",
        }
    }

    /// Whether the view is in the second module.
    pub fn in_check_module(self) -> bool {
        self != View::Calculator
    }
}

#[cfg(test)]
mod tests {
    use super::View;

    #[test]
    fn fragments_select_views() {
        assert_eq!(View::from_hash(""), View::Calculator);
        assert_eq!(View::from_hash("#result"), View::Calculator);
        assert_eq!(View::from_hash("#check"), View::Check);
        assert_eq!(View::from_hash("#logs"), View::Logs);
        for view in View::ALL {
            let fragment = view.href();
            assert_eq!(View::from_hash(if fragment == "#" { "" } else { fragment }), view);
        }
    }
}

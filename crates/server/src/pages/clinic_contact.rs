//! How a clinic's page shows where it is and how to reach it: the address, the phone as a
//! `tel:` link, the opening hours and map links. The links need no API key and the server
//! fetches nothing: OpenStreetMap at the clinic's coordinates (or a search for its address)
//! and a `geo:` URI, which phones open in their own maps app.

use domain::clinic::{ClinicDetails, GeoPoint};

/// Links to the clinic on a map.
pub struct MapLinks {
    /// OpenStreetMap: a marker at the coordinates, or a search for the address.
    pub web: String,
    /// `geo:lat,lon`, when the coordinates are known.
    pub app: Option<String>,
}

/// The clinic's contact details, ready for a template.
pub struct ContactCard {
    pub address: String,
    /// The number, `+` and digits, as shown and as dialled.
    pub phone: Option<String>,
    pub opening_hours: String,
    pub map: Option<MapLinks>,
}

/// `https://www.openstreetmap.org/?mlat=…&mlon=…#map=17/…/…`: a marker, zoomed to streets.
pub fn osm_marker(p: GeoPoint) -> String {
    let (lat, lon) = (p.latitude_text(), p.longitude_text());
    format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}")
}

/// `geo:lat,lon` (RFC 5870).
pub fn geo_uri(p: GeoPoint) -> String {
    format!("geo:{},{}", p.latitude_text(), p.longitude_text())
}

/// OpenStreetMap's search for `address`, percent-encoded.
pub fn osm_search(address: &str) -> String {
    // The form encoding writes a space as `+`; a literal `+` is already `%2B`.
    let query = serde_urlencoded::to_string([("query", address)])
        .unwrap_or_default()
        .replace('+', "%20");
    format!("https://www.openstreetmap.org/search?{query}")
}

impl ContactCard {
    /// The card for `d`; parts the clinic has not given are left out.
    pub fn of(d: &ClinicDetails) -> Self {
        let map = match d.location() {
            Some(p) => Some(MapLinks {
                web: osm_marker(p),
                app: Some(geo_uri(p)),
            }),
            None if !d.address().is_empty() => Some(MapLinks {
                web: osm_search(d.address()),
                app: None,
            }),
            None => None,
        };
        ContactCard {
            address: d.address().to_owned(),
            phone: d.phone().map(|p| p.as_str().to_owned()),
            opening_hours: d.opening_hours().to_owned(),
            map,
        }
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.address.is_empty()
            && self.phone.is_none()
            && self.opening_hours.is_empty()
            && self.map.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::clinic::DetailsInput;

    #[test]
    fn coordinates_give_a_marker_and_a_geo_uri_and_an_address_alone_a_search() {
        let at = ClinicDetails::parse(&DetailsInput {
            address: "12 MG Road",
            latitude: "12.9716",
            longitude: "-77.5",
            ..DetailsInput::default()
        })
        .unwrap();
        let map = ContactCard::of(&at).map.unwrap();
        assert_eq!(
            map.web,
            "https://www.openstreetmap.org/?mlat=12.9716&mlon=-77.5#map=17/12.9716/-77.5"
        );
        assert_eq!(map.app.as_deref(), Some("geo:12.9716,-77.5"));
        let only_address = ClinicDetails::parse(&DetailsInput {
            address: "12 MG Road, Bengaluru #2 & +1",
            ..DetailsInput::default()
        })
        .unwrap();
        let map = ContactCard::of(&only_address).map.unwrap();
        assert_eq!(
            map.web,
            "https://www.openstreetmap.org/search?query=12%20MG%20Road%2C%20Bengaluru%20%232%20%26%20%2B1"
        );
        assert!(map.app.is_none());
        assert!(ContactCard::of(&ClinicDetails::default()).is_empty());
    }
}

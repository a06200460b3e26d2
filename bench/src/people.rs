//! Made-up patients for the patient-search run (`--patients`): Indian and international
//! first names × optional middle names × surnames, Indian mobile numbers (some shared by a
//! family), birth dates, sexes and some e-mail addresses, from a seeded RNG.

use domain::patient::{BirthDate, Sex};
use jiff::{Span, civil::Date};
use rand::{Rng, rngs::StdRng};
use store::patients::PatientDetails;

/// Commonest first: [`skewed`] picks from the front of each list more often.
#[rustfmt::skip]
const FEMALE: &[&str] = &[
    "Priya", "Lakshmi", "Anjali", "Pooja", "Kavitha", "Sunita", "Deepa", "Divya", "Neha", "Meena",
    "Anita", "Radha", "Rekha", "Shalini", "Sneha", "Aishwarya", "Ananya", "Aarti", "Aditi",
    "Akshata", "Anusha", "Aparna", "Bhavana", "Deepika", "Durga", "Fatima", "Gayatri", "Geeta",
    "Harini", "Harpreet", "Isha", "Jyoti", "Kavya", "Keerthi", "Lata", "Madhuri", "Meera", "Nazia",
    "Nirmala", "Padma", "Priyanka", "Radhika", "Renuka", "Rohini", "Sangeeta", "Sarita", "Shanti",
    "Shreya", "Shweta", "Simran", "Sonia", "Swati", "Tanvi", "Uma", "Vaishnavi", "Vandana",
    "Vidya", "Zainab", "Ayesha", "Gurleen", "Anna", "Maria", "Sarah", "Emma", "Olivia", "Sophie",
    "Grace", "Chloe", "Hannah", "Laura", "Elena", "Yuki", "Mei", "Amina", "Chiara", "Ingrid",
    "Nadia",
];
#[rustfmt::skip]
const MALE: &[&str] = &[
    "Rahul", "Ramesh", "Suresh", "Rajesh", "Arun", "Amit", "Vijay", "Sanjay", "Ravi", "Mohammed",
    "Anil", "Karthik", "Aarav", "Abhishek", "Aditya", "Ajay", "Akash", "Anand", "Arjun", "Ashok",
    "Balaji", "Deepak", "Dinesh", "Ganesh", "Gopal", "Gurpreet", "Hari", "Harish", "Harjit",
    "Imran", "Jagdish", "Joseph", "Kiran", "Krishna", "Mahesh", "Manoj", "Mohan", "Mukesh",
    "Naveen", "Nikhil", "Pradeep", "Prakash", "Rajiv", "Rakesh", "Rohan", "Sachin", "Sandeep",
    "Santosh", "Sathish", "Siddharth", "Srinivas", "Sunil", "Tarun", "Thomas", "Varun",
    "Venkatesh", "Vikram", "Vinod", "Vishal", "Yusuf", "James", "John", "David", "Michael",
    "Daniel", "Lucas", "Mateo", "Hiroshi", "Wei", "Omar", "Ahmed", "Luca", "Pierre", "Hans",
    "Erik", "Samuel",
];
#[rustfmt::skip]
const MIDDLE: &[&str] = &[
    "Kumar", "Devi", "Lal", "Prasad", "Chandra", "Nath", "Rani", "Bai", "Singh", "Mohan", "Raj",
    "Ram", "Kishore", "Anand", "Bala", "Sai", "Begum", "Hussain", "Marie", "Anne", "James", "Lee",
    "Rose", "Joseph", "Ali",
];
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Kumar", "Singh", "Sharma", "Patel", "Reddy", "Nair", "Rao", "Iyer", "Gupta", "Khan", "Das",
    "Shah", "Joshi", "Menon", "Pillai", "Naidu", "Verma", "Yadav", "Kaur", "Mishra", "Acharya",
    "Agarwal", "Ahmed", "Ali", "Arora", "Bajaj", "Balakrishnan", "Banerjee", "Basu", "Bhat",
    "Bhatia", "Bhatt", "Bose", "Chakraborty", "Chandra", "Chatterjee", "Chauhan", "Chopra",
    "Chowdhury", "D'Souza", "Desai", "Deshmukh", "Deshpande", "Dhillon", "Dubey", "Dutta",
    "Fernandes", "Gandhi", "Ganguly", "George", "Ghosh", "Gill", "Goswami", "Gowda", "Grewal",
    "Hegde", "Iyengar", "Jain", "Jha", "Kamath", "Kapoor", "Karnik", "Khanna", "Krishnan",
    "Kulkarni", "Kurian", "Malhotra", "Mathew", "Mehta", "Mondal", "Mukherjee", "Murthy", "Naik",
    "Narayanan", "Pai", "Pal", "Pandey", "Patil", "Pereira", "Prasad", "Qureshi", "Rajan", "Raman",
    "Ramaswamy", "Rathore", "Roy", "Sandhu", "Sarkar", "Saxena", "Sen", "Sethi", "Shenoy",
    "Shetty", "Shukla", "Sinha", "Srivastava", "Subramanian", "Sundaram", "Thakur", "Thomas",
    "Tiwari", "Trivedi", "Varghese", "Varma", "Venkataraman", "Smith", "Johnson", "Williams",
    "Brown", "Jones", "Garcia", "Martinez", "Rodriguez", "Lopez", "Müller", "Schmidt", "Schneider",
    "Rossi", "Russo", "Ferrari", "Dubois", "Martin", "Bernard", "Silva", "Santos", "Costa",
    "Oliveira", "Kowalski", "Nowak", "Ivanov", "Petrov", "Tanaka", "Suzuki", "Sato", "Watanabe",
    "Kim", "Lee", "Park", "Chen", "Wang", "Li", "Zhang", "Liu", "Nguyen", "Tran", "O'Brien",
    "Murphy", "Kelly", "van der Berg", "MacDonald", "Hassan", "Hussein", "Abdullah", "Okafor",
    "Mensah", "Cohen", "Levi", "Andersson", "Hansen", "Larsen",
];

/// One made-up patient, with the parts the queries are drawn from.
pub struct Person {
    pub first: &'static str,
    pub surname: &'static str,
    /// As stored: `+91` and 10 digits, or 10 local digits.
    pub phone: String,
    pub details: PatientDetails,
}

/// An index into a list of `n`, favouring its front (the square of a uniform number): real
/// names are far from uniform, a few are very common, and that is what makes short
/// prefixes expensive.
fn skewed(rng: &mut StdRng, n: usize) -> usize {
    let u: f64 = rng.random();
    ((u * u * n as f64) as usize).min(n - 1)
}

fn pick(rng: &mut StdRng, list: &'static [&'static str]) -> &'static str {
    list[skewed(rng, list.len())]
}

/// Makes people one after the other; about one in twelve shares an earlier person's phone
/// (a family on one number).
pub struct People {
    today: Date,
    phones: Vec<String>,
}

impl People {
    pub fn new(today: Date) -> People {
        People {
            today,
            phones: Vec::new(),
        }
    }

    pub fn next(&mut self, rng: &mut StdRng) -> Person {
        let female = rng.random_bool(0.5);
        let first = pick(rng, if female { FEMALE } else { MALE });
        let surname = pick(rng, SURNAMES);
        let name = match rng.random_range(0..100) {
            // A South Indian initial before the given name: "K. Ramesh Iyer".
            0..5 => format!(
                "{}. {first} {surname}",
                char::from(b'A' + rng.random_range(0..26u8))
            ),
            5..30 => format!("{first} {} {surname}", pick(rng, MIDDLE)),
            _ => format!("{first} {surname}"),
        };
        let phone = if !self.phones.is_empty() && rng.random_bool(0.08) {
            self.phones[rng.random_range(0..self.phones.len())].clone()
        } else {
            let local = format!(
                "{}{:09}",
                rng.random_range(6..=9u8),
                rng.random_range(0..1_000_000_000u32)
            );
            let p = if rng.random_bool(0.85) {
                format!("+91{local}")
            } else {
                local
            };
            self.phones.push(p.clone());
            p
        };
        let sex = match rng.random_range(0..100) {
            0 => Sex::Other,
            1..3 => Sex::Unknown,
            _ if female => Sex::Female,
            _ => Sex::Male,
        };
        let age_days = rng.random_range(0..90 * 365);
        let estimated = rng.random_bool(0.1);
        let birth = self
            .today
            .checked_sub(if estimated {
                Span::new().years(age_days / 365)
            } else {
                Span::new().days(age_days)
            })
            .ok()
            .map(|date| BirthDate { date, estimated });
        let email = rng.random_bool(0.3).then(|| {
            let local: String = format!("{first}.{surname}")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            format!(
                "{}{}@example.com",
                local.to_lowercase(),
                rng.random_range(1..1000)
            )
        });
        Person {
            first,
            surname,
            phone: phone.clone(),
            details: PatientDetails {
                name,
                sex: Some(sex),
                birth,
                phone: Some(phone),
                email,
                ..PatientDetails::default()
            },
        }
    }
}

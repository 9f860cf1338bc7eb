// The Daily Meridian: story data (static content of the front page and articles).
"use strict";

const SECTIONS = ["World", "Business", "Science", "Sport", "Culture"];

const STORIES = [
  {
    id: 1, section: "World", photo: "story_01.jpg", author: "Marta Reyes", likes: 412,
    headline: "Coastal cities agree on a shared flood defence plan",
    standfirst: "Twelve harbour cities will pool engineers and money to raise sea walls before the autumn storms.",
    body: [
      "Mayors from twelve coastal cities signed a joint plan on Monday to share engineers, pumps and funding for flood defences, the first agreement of its kind in the region.",
      "The plan sets out which sea walls are raised first, based on how many homes sit behind each stretch of coast. Work on the oldest harbour walls begins next month and should finish before the autumn storm season.",
      "Engineers will rotate between the cities, so that a small town with no flood team of its own can borrow one from a larger neighbour. A shared store of mobile pumps will be kept at the central port.",
      "Residents' groups welcomed the agreement but asked for regular public updates. The first progress report is due in June, and every city will publish the same figures on the same day.",
    ],
  },
  {
    id: 2, section: "Science", photo: "story_02.jpg", author: "Jonas Berg", likes: 268,
    headline: "Ocean sensors map a hidden current off the Azores",
    standfirst: "A fleet of drifting floats has traced a deep, slow current that carries cold water south.",
    body: [
      "Forty drifting sensors released last spring have mapped a deep current west of the Azores that oceanographers had long suspected but never measured.",
      "The current flows about a kilometre below the surface and moves cold water south at walking pace. It may explain why fish stocks in the area shift from year to year.",
      "The floats surface every ten days to send their readings by satellite. The team plans to release another forty next year to follow the current further south.",
    ],
  },
  {
    id: 3, section: "Business", photo: "story_03.jpg", author: "Priya Nair", likes: 97,
    headline: "Rail freight volumes climb for a third straight quarter",
    standfirst: "Freight operators say longer trains and new night slots are winning business back from the roads.",
    body: [
      "Goods carried by rail rose again in the first quarter, the third rise in a row, as operators ran longer trains and used new night-time slots on busy lines.",
      "Operators said timber, grain and building materials led the growth. Several large retailers have also moved part of their deliveries from lorries to trains.",
      "Industry groups warned that the rise could stall unless more sidings are built near ports, where trains still wait hours to be loaded.",
    ],
  },
  {
    id: 4, section: "Sport", photo: "story_04.jpg", author: "Tom Okafor", likes: 530,
    headline: "Underdogs Harbour FC reach the cup final",
    standfirst: "A late header sends the second-division side into their first final in forty years.",
    body: [
      "Harbour FC, who play in the second division, reached the cup final on Saturday with a 2-1 win after a header in the final minute of the match.",
      "The club last played in a final forty years ago. Fans who travelled to the away ground sang long after the final whistle.",
      "The final will be played next month at the national stadium, where Harbour FC will meet the league leaders.",
    ],
  },
  {
    id: 5, section: "Science", photo: "story_05.jpg", author: "Lena Fischer", likes: 188,
    headline: "Night-sky survey finds 40 new near-Earth asteroids",
    standfirst: "A wide-field telescope on a quiet mountain top has doubled the team's count in a single season.",
    body: [
      "Astronomers running a wide-field survey from a mountain observatory have found forty asteroids whose orbits bring them close to the Earth's path.",
      "None of them is on course to hit the planet, the team said, but each new orbit improves the catalogue that planetary defence groups rely on.",
      "The survey will continue through the winter, when long, dark nights give the telescope more hours of observing time.",
    ],
  },
  {
    id: 6, section: "Culture", photo: "story_06.jpg", author: "Chloé Martin", likes: 143,
    headline: "A forgotten silent film returns to the big screen",
    standfirst: "Restorers rebuilt the 1927 comedy from three damaged prints found in a cellar.",
    body: [
      "A silent comedy thought lost for almost a century is back in cinemas after restorers rebuilt it from three damaged prints found in a cellar.",
      "The team scanned each frame and chose the best surviving copy of every scene. A new score, played live by a small orchestra, accompanies the first screenings.",
      "The film will tour twenty cinemas this spring before it is released online with the restorers' notes.",
    ],
  },
  {
    id: 7, section: "World", photo: "story_07.jpg", author: "Marta Reyes", likes: 76,
    headline: "Mountain villages vote to share one school bus",
    standfirst: "Five villages will run a single electric bus on a loop instead of five half-empty routes.",
    body: [
      "Voters in five mountain villages approved a plan to replace five half-empty school bus routes with one electric bus running a loop between them.",
      "The bus will also carry older residents to the weekly market in the valley on days when school is closed.",
      "The villages will share the cost according to how many pupils each one sends, and review the timetable after the first term.",
    ],
  },
  {
    id: 8, section: "Business", photo: "story_08.jpg", author: "Priya Nair", likes: 121,
    headline: "Small bakeries band together to buy flour in bulk",
    standfirst: "A new buying group of sixty bakeries hopes to cut costs without giving up local mills.",
    body: [
      "Sixty independent bakeries have formed a buying group to order flour together, hoping to pay prices closer to those of the large chains.",
      "The group will keep buying from regional mills, its founders said, but in larger orders that are cheaper to deliver.",
      "Members expect the first joint order to arrive in April and will compare prices after six months.",
    ],
  },
  {
    id: 9, section: "Science", photo: "story_09.jpg", author: "Jonas Berg", likes: 354,
    headline: "Bees learn faster in quieter fields, study suggests",
    standfirst: "Bumblebees near busy roads took twice as long to learn which flowers held nectar.",
    body: [
      "Bumblebees foraging in quiet fields learned which flowers held nectar about twice as fast as bees near busy roads, according to a new field study.",
      "Researchers set out coloured artificial flowers, only some of which were filled with sugar water, and counted how many visits each bee needed to find the right colour.",
      "The authors say traffic noise and vibration may distract the bees, and suggest planting flower strips away from main roads.",
      "The team now wants to repeat the study in cities, where noise levels change through the day.",
    ],
  },
  {
    id: 10, section: "Sport", photo: "story_10.jpg", author: "Tom Okafor", likes: 205,
    headline: "Marathon adds a night race through the old town",
    standfirst: "Runners will set off at nine in the evening on a lantern-lit course through the narrow streets.",
    body: [
      "The city marathon will add a ten-kilometre night race this year, starting at nine in the evening on a course through the narrow streets of the old town.",
      "Organisers will light the route with lanterns and close it to traffic for three hours. Entries open next week and are limited to two thousand runners.",
      "The main marathon keeps its usual morning start and route along the river.",
    ],
  },
];

const MOST_READ = [4, 9, 1, 10, 2];

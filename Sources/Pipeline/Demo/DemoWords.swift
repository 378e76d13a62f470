/// Word lists of the demo corpus. Written for this project; small on purpose.
enum DemoWords {
    struct Domain {
        var host: String
        var path: String
        var words: Words
    }

    struct Words {
        var nouns: [String]
        var adjectives: [String]
        var verbs: [String]
    }


    static let science = Words(
        nouns: ["river", "glacier", "protein", "telescope", "forest", "molecule", "volcano", "species", "galaxy",
                "crystal", "enzyme", "planet", "reef", "fossil", "island", "climate", "orbit", "neuron"],
        adjectives: ["ancient", "northern", "complex", "stable", "rare", "massive", "coastal", "tropical",
                     "measured", "observed", "distant", "dense"],
        verbs: ["shapes", "absorbs", "supports", "reflects", "surrounds", "replaces", "feeds", "protects",
                "describes", "explains"])
    static let health = Words(
        nouns: ["patient", "vaccine", "symptom", "clinic", "therapy", "dose", "infection", "diagnosis", "nurse",
                "trial", "antibody", "cardiologist", "fracture", "diet"],
        adjectives: ["chronic", "mild", "acute", "preventive", "clinical", "common", "severe", "routine",
                     "randomized", "effective"],
        verbs: ["reduces", "treats", "prevents", "requires", "monitors", "improves", "causes", "follows"])
    static let news = Words(
        nouns: ["council", "election", "market", "minister", "budget", "strike", "harbour", "festival", "court",
                "report", "city", "union", "company", "museum"],
        adjectives: ["local", "annual", "public", "national", "controversial", "new", "regional", "final",
                     "official", "quarterly"],
        verbs: ["announces", "approves", "delays", "opens", "rejects", "funds", "reviews", "celebrates"])
    static let tech = Words(
        nouns: ["compiler", "database", "server", "library", "kernel", "protocol", "cache", "thread", "query",
                "container", "parser", "scheduler"],
        adjectives: ["fast", "concurrent", "distributed", "open", "lightweight", "stable", "experimental",
                     "portable"],
        verbs: ["compiles", "indexes", "parses", "schedules", "caches", "streams", "allocates", "serves"])

    static let domains: [Domain] = [
        Domain(host: "en.wikipedia.org", path: "wiki", words: science),
        Domain(host: "health.example.org", path: "articles", words: health),
        Domain(host: "news.example.com", path: "2024", words: news),
        Domain(host: "blog.example.io", path: "posts", words: tech),
        Domain(host: "www.example.edu", path: "courses", words: science),
    ]

    static let names = ["Ada", "Grace", "Alan", "Marie", "Niels", "Rosalind", "Claude", "Hedy", "Emmy", "Linus",
                        "Barbara", "Tim", "Katherine", "Edsger"]
    static let tails = ["over many years", "in the northern region", "during the winter", "with great care",
                        "across the continent", "under normal conditions", "in most cases", "at the same time"]
    static let openers = ["According to the survey,", "Researchers found", "It is widely known that",
                          "Records show", "As the report explains,", "Historians describe"]
    static let fillers = ["notably", "indeed", "perhaps", "often", "rarely", "clearly", "reportedly"]
    static let junk = ["Click here!!!", "Buy now", "404 Not Found", "Loading...", "Subscribe for more",
                       "lorem ipsum", "Home | About | Contact", "BEST DEALS BEST DEALS BEST DEALS"]
    static let boilerplate = ["We use cookies to improve your experience. Accept all cookies?",
                              "Home | News | Sport | Weather | Contact us",
                              "© 2024 Example Media. All rights reserved.",
                              "Sign up for our newsletter"]
    static let forumTopics = ["help with build", "best laptop", "weekend hiking", "compiler crash", "new release"]
    static let forumLines = [
        "Has anyone else seen this error when building the project on a clean machine?",
        "I tried reinstalling everything but the same thing happens every time I run it.",
        "Thanks, that fixed it for me. The cache was stale after the upgrade.",
        "You need to set the environment variable before starting the server.",
        "Same here, it started after the last update and nobody knows why yet.",
        "Check the logs first; the message usually says which file is missing.",
        "This is off topic but does anyone know a good place to hike near the lake?",
        "+1",
        "bump",
        "I wrote a small script that reproduces it, see the attachment in the first post.",
    ]
    static let chinese = [
        "长江是中国最长的河流，", "流经多个省份，", "哺育了沿岸的城市和农田。", "研究人员在实验室里测量了蛋白质的结构，",
        "结果发表在国际期刊上。", "这座城市的博物馆收藏了大量古代文物，", "每年吸引数百万游客参观。",
        "医生建议患者保持规律的作息和均衡的饮食，", "以减少慢性疾病的风险。", "编译器把源代码翻译成机器指令，",
        "数据库负责保存和查询数据。", "气候变化影响着冰川和海洋生态系统。",
    ]
    static let russian = [
        "Городской совет утвердил новый бюджет на следующий год.", "Учёные изучают древние ледники на севере.",
        "Музей открывает выставку современного искусства.", "Врачи рекомендуют регулярные прогулки на свежем воздухе.",
        "Компания объявила о запуске нового сервиса.", "Фестиваль пройдёт в центре города в конце лета.",
    ]
}

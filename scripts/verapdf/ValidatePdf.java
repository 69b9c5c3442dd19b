// Validates a PDF against the PDF/A flavour it claims, with veraPDF's library (the reference
// PDF/A validator; its command-line app does not resolve from Maven Central).
// Run: java -cp "$(cat classpath.txt)" ValidatePdf.java FILE.pdf   -> "compliant" or failures
import java.io.File;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;

public class ValidatePdf {
    public static void main(String[] args) throws Exception {
        VeraGreenfieldFoundryProvider.initialise();
        try (PDFAParser parser = Foundries.defaultInstance().createParser(new File(args[0]))) {
            PDFAValidator validator =
                Foundries.defaultInstance().createValidator(parser.getFlavour(), false);
            ValidationResult result = validator.validate(parser);
            System.out.println("flavour " + parser.getFlavour());
            if (result.isCompliant()) {
                System.out.println("compliant");
                return;
            }
            for (TestAssertion assertion : result.getTestAssertions()) {
                if (assertion.getStatus() != TestAssertion.Status.PASSED) {
                    System.out.println(assertion.getRuleId() + " " + assertion.getMessage());
                }
            }
            System.exit(1);
        }
    }
}
